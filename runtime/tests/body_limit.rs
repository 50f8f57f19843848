//! `RequestBodyLimit` over real sockets: Ktor's RequestBodyLimitTest cases.
#![cfg(feature = "body-limit")]

use axum::{body::Body, routing::post, Router};
use bytes::Bytes;
use oxtor_runtime::{plugins::body_limit::RequestBodyLimit, testing::TestApplication, Application};

async fn serve() -> TestApplication {
    let mut app = Application::new(());
    app.install(RequestBodyLimit::configure(|cfg| {
        cfg.body_limit(|req| match req.uri.path() {
            "/a" => 15,
            "/b" => 10,
            _ => u64::MAX,
        });
    }))
    .unwrap();
    let echo = || post(|body: String| async move { body });
    app.routing(
        Router::new()
            .route("/a", echo())
            .route("/b", echo())
            .route("/c", echo()),
    )
    .unwrap();
    TestApplication::start(app).await.unwrap()
}

fn streamed(text: &'static str) -> Body {
    // No Content-Length: a stream of two chunks.
    let (a, b) = text.split_at(text.len() / 2);
    let chunks = vec![Ok::<_, std::io::Error>(Bytes::from(a)), Ok(Bytes::from(b))];
    Body::from_stream(futures_util::stream::iter(chunks))
}

/// Ktor `testBodyLimitPerCall`: bodies without a length, one limit per route.
#[tokio::test]
async fn limit_per_call_without_content_length() {
    let server = serve().await;
    let send = |path: &'static str, text: &'static str| {
        server.send(http::Request::post(path).body(streamed(text)).unwrap())
    };
    assert_eq!(send("/a", "small text").await.unwrap().status(), 200);
    assert_eq!(
        send("/a", "text that is too long").await.unwrap().status(),
        413
    );
    assert_eq!(send("/b", "small").await.unwrap().status(), 200);
    assert_eq!(send("/b", "text too long").await.unwrap().status(), 413);
    assert_eq!(
        send("/c", "any length at all is fine here")
            .await
            .unwrap()
            .status(),
        200
    );
}

/// Ktor `testBodyLimitWithContentLength`: answered before the handler with Ktor's message.
#[tokio::test]
async fn content_length_over_the_limit_is_413_with_ktor_message() {
    let server = serve().await;
    let ok = server
        .send(
            http::Request::post("/a")
                .body(Body::from("small text"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        (ok.status().as_u16(), ok.text().unwrap().as_str()),
        (200, "small text")
    );
    let res = server
        .send(
            http::Request::post("/a")
                .body(Body::from("text that is too long"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.text().unwrap(),
        "Request is larger than the limit of 15 bytes"
    );
}
