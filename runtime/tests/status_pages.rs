//! `StatusPages` and Ktor 3.4's default exception handling over real sockets: Ktor's
//! StatusPagesTest cases, a panic under concurrent load, and an error after the response began.
#![cfg(feature = "status-pages")]

use std::time::Duration;

use axum::{body::Body, routing::get, Router};
use bytes::Bytes;
use http::StatusCode;
use oxtor_runtime::{
    exception::{
        BadRequestException, CallError, CallResult, HandlerPanicked, NotFoundException,
        UnsupportedMediaTypeException,
    },
    plugins::status_pages::StatusPages,
    testing::TestApplication,
    Application,
};

#[derive(Debug, thiserror::Error)]
#[error("illegal argument")]
struct IllegalArgument;

#[derive(Debug, thiserror::Error)]
#[error("illegal state")]
struct IllegalState;

async fn fail<E: std::error::Error + Send + Sync + 'static>(e: E) -> CallResult<&'static str> {
    Err(e.into())
}

async fn start(app: Application) -> TestApplication {
    TestApplication::start(app).await.expect("server starts")
}

/// Ktor `testStatus404`: a status handler answers both an unknown path and a handler's 404.
#[tokio::test]
async fn status_handler_replaces_missing_route_and_handler_404() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.status(404, |_call, code| {
            (
                code,
                format!(
                    "{} {}",
                    code.as_u16(),
                    code.canonical_reason().unwrap_or_default()
                ),
            )
        });
    }))
    .unwrap();
    app.routing(
        Router::new()
            .route("/", get(|| async { "ok" }))
            .route("/notFound", get(|| async { StatusCode::NOT_FOUND })),
    )
    .unwrap();
    let server = start(app).await;

    let ok = server.get("/").await.unwrap();
    assert_eq!(
        (ok.status(), ok.text().unwrap().as_str()),
        (StatusCode::OK, "ok")
    );
    for path in ["/missing", "/notFound"] {
        let res = server.get(path).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(res.text().unwrap(), "404 Not Found", "{path}");
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
}

/// Ktor `testFailPage`: a catch-all handler (`exception<Throwable>`) sees each error.
#[tokio::test]
async fn catch_all_handler_sees_every_error() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.exception(|_call, cause: &CallError| {
            let name = if cause.is::<IllegalArgument>() {
                "IllegalArgumentException"
            } else {
                "Other"
            };
            (StatusCode::INTERNAL_SERVER_ERROR, name)
        });
    }))
    .unwrap();
    app.routing(
        Router::new()
            .route("/iae", get(|| fail(IllegalArgument)))
            .route("/ise", get(|| fail(IllegalState))),
    )
    .unwrap();
    let server = start(app).await;

    let res = server.get("/iae").await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text().unwrap(), "IllegalArgumentException");
    assert_eq!(server.get("/ise").await.unwrap().text().unwrap(), "Other");
}

/// Ktor `testHandleMoreSpecificException`: a typed handler wins over the catch-all, whatever
/// the registration order.
#[tokio::test]
async fn typed_handler_wins_over_catch_all() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.exception(|_call, _e: &CallError| "any");
        cfg.exception(|_call, _e: &IllegalState| "Illegal State");
    }))
    .unwrap();
    app.routing(
        Router::new()
            .route("/illegal-state", get(|| fail(IllegalState)))
            .route("/other", get(|| fail(IllegalArgument))),
    )
    .unwrap();
    let server = start(app).await;
    assert_eq!(
        server.get_text("/illegal-state").await.unwrap(),
        "Illegal State"
    );
    assert_eq!(server.get_text("/other").await.unwrap(), "any");
}

/// Ktor `testErrorDuringStatus`: an error from a status handler goes to the exception handlers.
#[tokio::test]
async fn error_from_status_handler_goes_to_exception_handler() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.status(404, |_call, _code| {
            CallResult::<&str>::Err(IllegalState.into())
        });
        cfg.exception(|_call, _e: &IllegalState| {
            (StatusCode::INTERNAL_SERVER_ERROR, "IllegalStateException")
        });
    }))
    .unwrap();
    let server = start(app).await;
    let res = server.get("/").await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text().unwrap(), "IllegalStateException");
}

/// Ktor `testErrorShouldNotRecurse`: an exception handler that fails ends the call with a
/// plain 500, it is not handled again.
#[tokio::test]
async fn failing_exception_handler_does_not_recurse() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.exception(|_call, _e: &IllegalState| -> &'static str { panic!("handler bug") });
        cfg.status(500, |_call, _code| {
            CallResult::<&str>::Err(IllegalState.into())
        });
    }))
    .unwrap();
    app.routing(Router::new().route("/", get(|| fail(IllegalState))))
        .unwrap();
    let server = start(app).await;
    let res = server.get("/").await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text().unwrap(), "");
}

fn ktor_exception_routes() -> Router {
    Router::new()
        .route(
            "/bad-request",
            get(|| fail(BadRequestException::new("Bad request"))),
        )
        .route(
            "/media-type-not-supported",
            get(|| fail(UnsupportedMediaTypeException::new("text/csv"))),
        )
        .route("/not-found", get(|| fail(NotFoundException::default())))
}

/// Ktor `testDefaultKtorExceptionWithoutPlugin` (and §0.1): status from the type, message as
/// a `text/plain` body, with no plugin installed.
#[tokio::test]
async fn ktor_exceptions_answer_their_status_and_message_without_the_plugin() {
    let mut app = Application::new(());
    app.routing(ktor_exception_routes()).unwrap();
    let server = start(app).await;
    for (path, status, body) in [
        ("/bad-request", 400, "Bad request"),
        (
            "/media-type-not-supported",
            415,
            "Content type text/csv is not supported",
        ),
        ("/not-found", 404, "Resource not found"),
    ] {
        let res = server.get(path).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        assert_eq!(res.text().unwrap(), body, "{path}");
        assert_eq!(
            res.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
}

/// Ktor `testDefaultKtorExceptionWithPluginHandlingExceptions`: handlers see Ktor's types.
#[tokio::test]
async fn ktor_exceptions_reach_typed_handlers() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.exception(|_call, _e: &BadRequestException| "BadRequestException");
        cfg.exception(|_call, _e: &UnsupportedMediaTypeException| "UnsupportedMediaTypeException");
        cfg.exception(|_call, _e: &NotFoundException| "NotFoundException");
    }))
    .unwrap();
    app.routing(ktor_exception_routes()).unwrap();
    let server = start(app).await;
    for (path, body) in [
        ("/bad-request", "BadRequestException"),
        ("/media-type-not-supported", "UnsupportedMediaTypeException"),
        ("/not-found", "NotFoundException"),
    ] {
        let res = server.get(path).await.unwrap();
        assert_eq!(
            (res.status(), res.text().unwrap().as_str()),
            (StatusCode::OK, body)
        );
    }
}

/// Ktor `testHeadersOfOutgoingContent`: a status page keeps the replaced response's headers.
#[tokio::test]
async fn status_page_keeps_headers_of_the_replaced_response() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.status(StatusCode::UNAUTHORIZED, |_call, code| {
            (code, "who are you?")
        });
    }))
    .unwrap();
    app.routing(Router::new().route(
        "/auth",
        get(|| async {
            (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", "Basic")],
                "x",
            )
        }),
    ))
    .unwrap();
    let server = start(app).await;
    let res = server.get("/auth").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.header("www-authenticate"), Some("Basic"));
    assert_eq!(res.text().unwrap(), "who are you?");
}

/// The request is visible to handlers: method, path and headers.
#[tokio::test]
async fn handlers_see_the_request() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.status(404, |call, code| {
            (code, format!("{} {} not found", call.method(), call.path()))
        });
    }))
    .unwrap();
    let server = start(app).await;
    assert_eq!(
        server.get_text("/nowhere?x=1").await.unwrap(),
        "GET /nowhere not found"
    );
}

fn panicking_app() -> Application {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.exception(|_call, e: &HandlerPanicked| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("panicked: {}", e.message.as_deref().unwrap_or("?")),
            )
        });
    }))
    .unwrap();
    app.routing(Router::new().route("/ok", get(|| async { "fine" })).route(
        "/panic",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if true {
                panic!("boom");
            }
            "unreachable"
        }),
    ))
    .unwrap();
    app
}

/// A panic answers 500 through the exception handlers; with no handler, 500 and no body.
#[tokio::test]
async fn panic_answers_500() {
    let server = start(panicking_app()).await;
    let res = server.get("/panic").await.unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text().unwrap(), "panicked: boom");

    let mut app = Application::new(());
    app.install(StatusPages::default()).unwrap();
    app.routing(Router::new().route(
        "/",
        get(|| async {
            if true {
                panic!("x")
            }
            ""
        }),
    ))
    .unwrap();
    let server = start(app).await;
    let res = server.get("/").await.unwrap();
    assert_eq!((res.status().as_u16(), res.body().len()), (500, 0));
}

/// Panics under concurrent load, over shared HTTP/1.1 keep-alive connections and one HTTP/2
/// connection: every panicking call answers 500, every other call 200, no connection dies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_under_load_keep_every_other_call_healthy() {
    let server = start(panicking_app()).await;
    let h1 = reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .build()
        .unwrap();
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..400 {
        let client = if i % 2 == 0 { h1.clone() } else { h2.clone() };
        let path = if i % 5 == 0 { "/panic" } else { "/ok" };
        let url = server.url(path);
        tasks.spawn(async move {
            let res = client.get(&url).send().await.expect("connection stays up");
            (
                path,
                res.status().as_u16(),
                res.text().await.expect("whole body"),
            )
        });
    }
    let mut panics = 0;
    while let Some(done) = tasks.join_next().await {
        let (path, status, body) = done.unwrap();
        if path == "/panic" {
            panics += 1;
            assert_eq!((status, body.as_str()), (500, "panicked: boom"));
        } else {
            assert_eq!((status, body.as_str()), (200, "fine"));
        }
    }
    assert_eq!(panics, 80);
}

/// Nothing is sent once the response has started: an error inside a streamed body ends the
/// response without a 500 or an error text after the first bytes.
#[tokio::test]
async fn error_after_the_response_started_sends_nothing_more() {
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.exception(|_call, _e: &CallError| "handled");
    }))
    .unwrap();
    app.routing(Router::new().route(
        "/stream",
        get(|| async {
            // The first chunk goes out; the error comes once it has been sent.
            let chunks = futures_util::stream::unfold(0, |n: u8| async move {
                match n {
                    0 => Some((Ok(Bytes::from_static(b"first ")), 1)),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Some((Err(std::io::Error::other("broken")), 2))
                    }
                    _ => None,
                }
            });
            Body::from_stream(chunks)
        }),
    ))
    .unwrap();
    let server = start(app).await;
    let mut res = reqwest::get(server.url("/stream")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.chunk().await.unwrap().as_deref(), Some(&b"first "[..]));
    assert!(
        res.chunk().await.is_err(),
        "the body must end in an error, not as complete"
    );
}
