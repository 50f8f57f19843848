//! The everyday server plugins through `install!` and `routing! { layer(..) }`, as a Ktor module
//! translates line by line, over real sockets.
#![cfg(feature = "server-plugins")]

use std::time::Duration;

use axum::body::Body;
use http::{Method, StatusCode};
use oxtor::{
    exception::{CallError, CallResult, NotFoundException},
    plugins::{
        auto_head::AutoHeadResponse,
        body_limit::RequestBodyLimit,
        call_id::{CallId, CallIdValue},
        call_logging::CallLogging,
        cors::CORS,
        default_headers::DefaultHeaders,
        forwarded_headers::XForwardedHeaders,
        hsts::HSTS,
        status_pages::StatusPages,
        timeout::RequestTimeout,
    },
    prelude::*,
    testing::TestApplication,
};

#[route(GET, "/book/{id}")]
async fn book(Path(id): Path<u32>, call_id: CallIdValue) -> CallResult<String> {
    if id == 0 {
        Err(NotFoundException::new(format!("no book {id}")))?;
    }
    Ok(format!("book {id} ({})", call_id.0.len()))
}

#[route(GET, "/api/data")]
async fn data() -> &'static str {
    "data"
}

/// Ktor:
/// ```kotlin
/// install(CallLogging) { level = Level.DEBUG; filter { it.request.path().startsWith("/") } }
/// install(CallId) { header(HttpHeaders.XRequestId); generate(16, "abcdef0123456789") }
/// install(StatusPages) { exception<NotFoundException> { call, cause -> call.respondText("Not found: ${cause.message}", status = NotFound) }
///                       status(HttpStatusCode.MethodNotAllowed) { call, status -> call.respondText("no", status = status) } }
/// install(DefaultHeaders) { header("X-Engine", "oxtor") }
/// install(XForwardedHeaders); install(HSTS) { maxAgeInSeconds = 60; includeSubDomains = false }
/// install(RequestBodyLimit) { bodyLimit { 1024 } }; install(AutoHeadResponse)
/// routing { route("/api") { install(CORS) { allowHost("example.com", schemes = listOf("https")); allowCredentials = true } } }
/// ```
fn module(app: &mut Application) -> oxtor::Result<()> {
    app.install(install!(CallLogging { level = tracing::Level::DEBUG  filter(|call| call.path().starts_with('/')) }))?;
    app.install(
        install!(CallId { header("X-Request-Id")  generate_random(16, "abcdef0123456789") }),
    )?;
    app.install(install!(DefaultHeaders { header("X-Engine", "oxtor") }))?;
    app.install(install!(StatusPages {
        exception(|_call, cause: &NotFoundException| (StatusCode::NOT_FOUND, format!("Not found: {cause}")))
        exception(|_call, _cause: &CallError| StatusCode::INTERNAL_SERVER_ERROR)
        status(405, |_call, status| (status, "no"))
    }))?;
    app.install(
        install!(XForwardedHeaders { trusted_proxies(["127.0.0.1", "::1"])  use_first_proxy() }),
    )?;
    app.install(install!(HSTS { max_age_in_seconds = 60  include_sub_domains = false }))?;
    app.install(install!(RequestTimeout { timeout = Duration::from_secs(5) }))?;
    app.install(install!(RequestBodyLimit { limit = 1024 }))?;
    app.install(install!(AutoHeadResponse {}))?;
    let cors = install!(CORS { allow_host("example.com", schemes = ["https"])  allow_credentials = true })?;
    app.routing(routing! {
        book,
        layer(cors.into_layer()) { data }
    })
}

async fn server() -> TestApplication {
    let mut app = Application::new(());
    module(&mut app).expect("module");
    TestApplication::start(app).await.expect("start")
}

fn request(method: Method, path: &str, headers: &[(&str, &str)]) -> http::Request<Body> {
    let mut req = http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn plugins_installed_with_install_macro_work_together() {
    let server = server().await;
    let res = server.get("/book/7").await.unwrap();
    assert_eq!(res.text().unwrap(), "book 7 (16)");
    let id = res
        .header("x-request-id")
        .expect("call id echoed")
        .to_owned();
    assert_eq!(id.len(), 16);
    assert_eq!(res.header("x-engine"), Some("oxtor"));
    assert!(res
        .header("server")
        .is_some_and(|s| s.starts_with("oxtor/")));

    let res = server.get("/book/0").await.unwrap();
    assert_eq!(
        (res.status(), res.text().unwrap().as_str()),
        (StatusCode::NOT_FOUND, "Not found: no book 0")
    );
    assert_eq!(res.header("x-engine"), Some("oxtor"));

    let res = server
        .send(request(Method::DELETE, "/book/1", &[]))
        .await
        .unwrap();
    assert_eq!(
        (res.status(), res.text().unwrap().as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "no")
    );

    let res = server
        .send(request(Method::HEAD, "/book/7", &[]))
        .await
        .unwrap();
    assert_eq!((res.status(), res.body().len()), (StatusCode::OK, 0));

    let https = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "example.com"),
    ];
    let res = server
        .send(request(Method::GET, "/book/1", &https))
        .await
        .unwrap();
    assert_eq!(res.header("strict-transport-security"), Some("max-age=60"));
}

#[tokio::test]
async fn cors_layer_covers_its_route_group_only() {
    let server = server().await;
    let preflight = [
        ("origin", "https://example.com"),
        ("access-control-request-method", "GET"),
    ];
    let res = server
        .send(request(Method::OPTIONS, "/api/data", &preflight))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://example.com")
    );
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    let evil = [("origin", "https://evil.example")];
    let res = server
        .send(request(Method::GET, "/api/data", &evil))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Outside the group the origin is not checked.
    let res = server
        .send(request(Method::GET, "/book/3", &evil))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[test]
fn invalid_values_name_their_key() {
    let err = install!(CORS { allow_host("*.*.example.com") }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "CORS.allow_host: wildcard cannot appear more than once"
    );
    let err = install!(CallId { generate_random(0, "ab") }).unwrap_err();
    assert!(
        err.to_string().starts_with("CallId.generate_random: "),
        "{err}"
    );
    let err = install!(DefaultHeaders { header("bad header", "x") }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DefaultHeaders.header: `bad header` is not a valid header name"
    );
    let err = install!(RequestTimeout { timeout = Duration::ZERO }).unwrap_err();
    assert_eq!(
        err.to_string(),
        "RequestTimeout.timeout: must be more than zero"
    );
}
