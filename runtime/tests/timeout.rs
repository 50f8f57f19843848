//! `RequestTimeout` over real sockets.
#![cfg(feature = "request-timeout")]

use std::time::{Duration, Instant};

use axum::{routing::get, Router};
use oxtor_runtime::{plugins::timeout::RequestTimeout, testing::TestApplication, Application};

async fn serve() -> TestApplication {
    let mut app = Application::new(());
    app.install(RequestTimeout::configure(|cfg| {
        cfg.timeout_millis(100);
    }))
    .unwrap();
    app.routing(
        Router::new()
            .route("/fast", get(|| async { "fast" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    "slow"
                }),
            ),
    )
    .unwrap();
    TestApplication::start(app).await.unwrap()
}

/// A call past the timeout answers 504 (Ktor's status for a timeout), at the timeout.
#[tokio::test]
async fn slow_call_answers_504_at_the_timeout() {
    let server = serve().await;
    let start = Instant::now();
    let res = server.get("/slow").await.unwrap();
    assert_eq!(res.status(), 504);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// A call within the timeout is untouched, on the same server.
#[tokio::test]
async fn fast_call_is_untouched() {
    let server = serve().await;
    assert_eq!(server.get_text("/fast").await.unwrap(), "fast");
}
