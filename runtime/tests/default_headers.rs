//! `DefaultHeaders` over real sockets: Ktor's DefaultHeadersTest cases.
#![cfg(feature = "default-headers")]

use axum::{routing::get, Router};
use oxtor_runtime::{
    plugins::default_headers::DefaultHeaders, testing::TestApplication, Application,
};

async fn serve(plugin: DefaultHeaders, router: Router) -> TestApplication {
    let mut app = Application::new(());
    app.install(plugin).unwrap();
    app.routing(router).unwrap();
    TestApplication::start(app).await.unwrap()
}

fn hello() -> Router {
    Router::new().route("/", get(|| async { "hello" }))
}

/// Ktor `addsServerHeaderWithFallbackPackageNameAndVersion` / `testDefaultServerHeader`.
#[tokio::test]
async fn adds_server_header_with_name_and_version() {
    let server = serve(DefaultHeaders::default(), hello()).await;
    let res = server.get("/").await.unwrap();
    assert_eq!(
        res.header("server"),
        Some(concat!("oxtor/", env!("CARGO_PKG_VERSION")))
    );
}

/// Ktor `serverHeaderIsNotModifiedIfPresent`.
#[tokio::test]
async fn server_header_is_not_modified_if_present() {
    let router = Router::new().route("/", get(|| async { ([("server", "xserver/1.0")], "x") }));
    let server = serve(DefaultHeaders::default(), router).await;
    let res = server.get("/").await.unwrap();
    assert_eq!(res.headers().get_all("server").iter().count(), 1);
    assert_eq!(res.header("server"), Some("xserver/1.0"));
}

/// Ktor `testSubrouteInstall`: installed as a layer on one route only.
#[tokio::test]
async fn layer_on_a_route_group_covers_only_that_group() {
    let layer = DefaultHeaders::default().into_layer();
    let router = Router::new()
        .route("/1", get(|| async { "1" }))
        .route_layer(layer)
        .route("/2", get(|| async { "2" }));
    let mut app = Application::new(());
    app.routing(router).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    assert!(server
        .get("/1")
        .await
        .unwrap()
        .header("server")
        .unwrap()
        .starts_with("oxtor/"));
    assert_eq!(server.get("/2").await.unwrap().header("server"), None);
}

/// Ktor `testDate`: a current HTTP date.
#[tokio::test]
async fn date_is_the_current_http_date() {
    let server = serve(DefaultHeaders::default(), hello()).await;
    let res = server.get("/").await.unwrap();
    let date = httpdate::parse_http_date(res.header("date").unwrap()).unwrap();
    let skew = std::time::SystemTime::now().duration_since(date).unwrap();
    assert!(skew.as_secs() <= 2, "{skew:?}");
}

/// Ktor `testCustomHeader`, with a header configured twice sent with both values.
#[tokio::test]
async fn custom_headers_are_added() {
    let plugin = DefaultHeaders::configure(|cfg| {
        cfg.header("X-Test", "123");
        cfg.header("X-Multi", "a");
        cfg.header("X-Multi", "b");
    })
    .unwrap();
    let server = serve(plugin, hello()).await;
    let res = server.get("/").await.unwrap();
    assert_eq!(res.header("x-test"), Some("123"));
    let multi: Vec<_> = res.headers().get_all("x-multi").iter().collect();
    assert_eq!(multi, ["a", "b"]);
}

/// Ktor `testCustomServerHeader` and `testCustomServerHeaderDoesntDuplicate`.
#[tokio::test]
async fn custom_server_header_replaces_the_default_once() {
    let plugin = DefaultHeaders::configure(|cfg| {
        cfg.header("Server", "MyServer");
    })
    .unwrap();
    let server = serve(plugin, hello()).await;
    let res = server.get("/").await.unwrap();
    let all: Vec<_> = res.headers().get_all("server").iter().collect();
    assert_eq!(all, ["MyServer"]);
}
