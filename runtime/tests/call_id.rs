//! `CallId` over real sockets: Ktor's CallIdTest cases, and the id reaching `CallLogging` and
//! `StatusPages`.
#![cfg(feature = "call-id")]

use axum::{body::Body, routing::get, Router};
use oxtor_runtime::{
    plugins::call_id::{CallId, CallIdConfig, CallIdValue, CALL_ID_DEFAULT_DICTIONARY},
    testing::{TestApplication, TestResponse},
    Application,
};

async fn echo(id: Option<CallIdValue>) -> String {
    id.map_or_else(|| "null".to_owned(), |id| id.0)
}

async fn serve(f: impl FnOnce(&mut CallIdConfig)) -> TestApplication {
    let mut app = Application::new(());
    app.install(CallId::configure(f)).unwrap();
    app.routing(
        Router::new()
            .route("/", get(echo))
            .route("/valid", get(echo)),
    )
    .unwrap();
    TestApplication::start(app).await.unwrap()
}

async fn get_with(server: &TestApplication, path: &str, request_id: Option<&str>) -> TestResponse {
    let mut req = http::Request::get(path);
    if let Some(id) = request_id {
        req = req.header("x-request-id", id);
    }
    server.send(req.body(Body::empty()).unwrap()).await.unwrap()
}

/// Ktor `missingPlugin`.
#[tokio::test]
async fn without_the_plugin_there_is_no_id() {
    let mut app = Application::new(());
    app.routing(Router::new().route("/", get(echo))).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    assert_eq!(server.get_text("/").await.unwrap(), "null");
}

/// Ktor `customRetriever`.
#[tokio::test]
async fn custom_retriever() {
    let server = serve(|cfg| {
        cfg.retrieve(|req| Some(req.uri.path().replace('/', "-")));
    })
    .await;
    assert_eq!(server.get_text("/").await.unwrap(), "-");
}

/// Ktor `headerRetriever` and `headerRetrieverWithGenerator`.
#[tokio::test]
async fn header_retriever_then_generator() {
    let server = serve(|cfg| {
        cfg.retrieve_from_header("X-Request-Id");
        cfg.generate(|_| Some("generated-id".to_owned()));
    })
    .await;
    assert_eq!(
        get_with(&server, "/", Some("test-id"))
            .await
            .text()
            .unwrap(),
        "test-id"
    );
    assert_eq!(
        get_with(&server, "/", None).await.text().unwrap(),
        "generated-id"
    );
}

/// Ktor `headerRetrieverWithTextGenerator`.
#[tokio::test]
async fn random_generator_uses_the_dictionary() {
    let dictionary = "abc";
    let server = serve(|cfg| {
        cfg.retrieve_from_header("X-Request-Id");
        cfg.generate_random(30, dictionary);
    })
    .await;
    let id = get_with(&server, "/", None).await.text().unwrap();
    assert_eq!(id.len(), 30);
    assert!(id.chars().all(|c| dictionary.contains(c)), "{id}");
    assert_ne!(get_with(&server, "/", None).await.text().unwrap(), id);
}

/// Ktor `replyToHeader`.
#[tokio::test]
async fn reply_to_header() {
    let server = serve(|cfg| {
        cfg.header("X-Request-Id");
        cfg.generate(|_| Some("generated-call-id".to_owned()));
    })
    .await;
    let res = get_with(&server, "/", Some("client-id")).await;
    assert_eq!(
        (res.text().unwrap().as_str(), res.header("x-request-id")),
        ("client-id", Some("client-id"))
    );
    let res = get_with(&server, "/", None).await;
    assert_eq!(res.header("x-request-id"), Some("generated-call-id"));
}

/// Ktor `testDefaultVerifierForRetrieve` and `testDefaultVerifierForGenerate`.
#[tokio::test]
async fn default_verifier_skips_ids_outside_the_dictionary() {
    let server = serve(|cfg| {
        cfg.header("X-Request-Id");
    })
    .await;
    let res = get_with(&server, "/", Some(CALL_ID_DEFAULT_DICTIONARY)).await;
    assert_eq!(res.text().unwrap(), CALL_ID_DEFAULT_DICTIONARY);
    assert_eq!(
        get_with(&server, "/", Some("UPPER")).await.text().unwrap(),
        "null"
    );

    let server = serve(|cfg| {
        cfg.generate(|req| {
            Some(
                if req.uri.path() == "/valid" {
                    "valid-id"
                } else {
                    "Ä"
                }
                .to_owned(),
            )
        });
    })
    .await;
    assert_eq!(server.get_text("/valid").await.unwrap(), "valid-id");
    assert_eq!(server.get_text("/").await.unwrap(), "null");
}

/// Ktor `testCustomVerifier`, and `verify(dictionary, reject = true)` answering 400.
#[tokio::test]
async fn custom_verifier_and_rejection() {
    let server = serve(|cfg| {
        cfg.header("X-Request-Id");
        cfg.verify(|id| id.len() > 4);
    })
    .await;
    assert_eq!(
        get_with(&server, "/", Some("12345")).await.text().unwrap(),
        "12345"
    );
    assert_eq!(
        get_with(&server, "/", Some("123")).await.text().unwrap(),
        "null"
    );

    let strict = serve(|cfg| {
        cfg.header("X-Request-Id");
        cfg.verify_dictionary("0123456789", true);
    })
    .await;
    assert_eq!(
        get_with(&strict, "/", Some("123")).await.text().unwrap(),
        "123"
    );
    assert_eq!(get_with(&strict, "/", Some("abc")).await.status(), 400);
}

/// Ktor `testSubrouteInstall`: one id per route group.
#[tokio::test]
async fn layer_per_route_group() {
    let one = CallId::configure(|cfg| {
        cfg.generate(|_| Some("test-id".to_owned()));
    })
    .unwrap();
    let two = CallId::configure(|cfg| {
        cfg.generate(|_| Some("2222".to_owned()));
    })
    .unwrap();
    let router = Router::new()
        .route("/1", get(echo))
        .route_layer(one.into_layer())
        .merge(
            Router::new()
                .route("/2", get(echo))
                .route_layer(two.into_layer()),
        )
        .route("/3", get(echo));
    let mut app = Application::new(());
    app.routing(router).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    assert_eq!(server.get_text("/1").await.unwrap(), "test-id");
    assert_eq!(server.get_text("/2").await.unwrap(), "2222");
    assert_eq!(server.get_text("/3").await.unwrap(), "null");
}

/// Invalid configuration names the key.
#[test]
fn invalid_generator_names_the_key() {
    let err = CallId::configure(|cfg| {
        cfg.generate_random(0, "ab");
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "CallId.generate_random: Call id should be at least one characters length: 0"
    );
    let err = CallId::configure(|cfg| {
        cfg.generate_random(4, "aab");
    })
    .unwrap_err();
    assert!(err.to_string().contains("duplicates"), "{err}");
}

/// Ktor `testCallIdOnFailed`: a `StatusPages` handler sees the call id.
#[cfg(feature = "status-pages")]
#[tokio::test]
async fn status_pages_handler_sees_the_call_id() {
    use oxtor_runtime::{exception::CallError, plugins::status_pages::StatusPages};
    let mut app = Application::new(());
    app.install(CallId::configure(|cfg| {
        cfg.generate(|_| Some("id-1".to_owned()));
    }))
    .unwrap();
    app.install(StatusPages::configure(|cfg| {
        cfg.exception(|call, _e: &CallError| {
            let id = call.call_id().unwrap_or("none");
            (
                http::StatusCode::INTERNAL_SERVER_ERROR,
                format!("Handled {id}"),
            )
        });
    }))
    .unwrap();
    app.routing(Router::new().route(
        "/",
        get(|| async { Err::<(), _>(CallError::new(std::fmt::Error)) }),
    ))
    .unwrap();
    let server = TestApplication::start(app).await.unwrap();
    let res = server.get("/").await.unwrap();
    assert_eq!(
        (res.status().as_u16(), res.text().unwrap().as_str()),
        (500, "Handled id-1")
    );
}
