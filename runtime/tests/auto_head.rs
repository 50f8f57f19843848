//! `AutoHeadResponse` over real sockets: Ktor's AutoHeadResponseTest cases.
#![cfg(feature = "auto-head-response")]

use axum::{
    body::Body,
    routing::{any, on, MethodFilter},
    Router,
};
use oxtor_runtime::{plugins::auto_head::AutoHeadResponse, testing::TestApplication, Application};

async fn serve(router: Router) -> TestApplication {
    let mut app = Application::new(());
    app.install(AutoHeadResponse).unwrap();
    app.routing(router).unwrap();
    TestApplication::start(app).await.unwrap()
}

/// Ktor `testSimple` and `testTextContent`: HEAD answers like GET, without the body.
#[tokio::test]
async fn head_answers_like_get_without_body() {
    let handler = || async { ([("m", "1")], "Hello") };
    let server = serve(Router::new().route("/", on(MethodFilter::GET, handler))).await;
    let get = server.get("/").await.unwrap();
    assert_eq!(
        (
            get.status().as_u16(),
            get.text().unwrap().as_str(),
            get.header("m")
        ),
        (200, "Hello", Some("1"))
    );
    let head = server
        .send(http::Request::head("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (head.status().as_u16(), head.body().len(), head.header("m")),
        (200, 0, Some("1"))
    );
    assert_eq!(
        head.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(head.header("content-length"), Some("5"));
}

/// A handler that is routed by method sees GET for a HEAD request.
#[tokio::test]
async fn handler_sees_get() {
    let server =
        serve(Router::new().route("/", any(|m: http::Method| async move { m.to_string() }))).await;
    let head = server
        .send(http::Request::head("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (head.status().as_u16(), head.header("content-length")),
        (200, Some("3"))
    );
}
