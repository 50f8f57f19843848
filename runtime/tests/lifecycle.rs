//! `HttpRequestLifecycle` over real sockets: Ktor's HttpRequestLifecycleTest (§5.3, including
//! the later `Connection: close` and pipelining cases) on HTTP/1.1 and h2c.
mod lifecycle_support;

use lifecycle_support::*;
use std::{error::Error as _, time::Duration};

use axum::{
    body::Body,
    extract::State,
    routing::{get, post},
    Router,
};
use oxtor_runtime::{
    plugins::lifecycle::{Cancellation, ConnectionClosed, HttpRequestLifecycle},
    testing::TestApplication,
    Application,
};
use tokio::{io::AsyncWriteExt, sync::mpsc};

/// Ktor `testClientDisconnectionCancelsRequest`: the handler checks `ensureActive()` between
/// delays and sees a cancellation whose root cause is `ConnectionClosedException`.
async fn ensure_active_loop(State(probe): State<Probe>, cancel: Cancellation) -> &'static str {
    probe.send("started");
    for _ in 0..100 {
        if let Err(e) = cancel.ensure_active() {
            let root = e
                .source()
                .and_then(|s| s.downcast_ref::<ConnectionClosed>());
            probe.send(if root.is_some() {
                "connection-closed"
            } else {
                "other-cause"
            });
            return "";
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = cancel.cancelled() => {}
        }
    }
    probe.send("finished");
    "done"
}

fn ensure_active_app() -> (Application<Probe>, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut app = Application::new(Probe(tx));
    app.install(HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    }))
    .unwrap();
    app.routing(Router::new().route("/", get(ensure_active_loop)))
        .unwrap();
    (app, rx)
}

#[tokio::test]
async fn client_disconnection_cancels_request_http1() {
    let (app, mut rx) = ensure_active_app();
    let server = TestApplication::start(app).await.unwrap();
    drop(start_call(&server, "/", &mut rx).await);
    wait_for(&mut rx, "connection-closed", "other-cause").await;
}

#[tokio::test]
async fn client_disconnection_cancels_request_h2c() {
    let (app, mut rx) = ensure_active_app();
    let server = TestApplication::start(app).await.unwrap();
    let s = server.connect().await.unwrap();
    let (mut sender, conn) = h2_handshake(s).await;
    let req = http::Request::get(server.url("/"))
        .body(Body::empty())
        .unwrap();
    let pending = tokio::spawn(sender.send_request(req));
    assert_eq!(next(&mut rx).await.0, "started");
    pending.abort();
    conn.abort(); // the whole connection goes away
    wait_for(&mut rx, "connection-closed", "other-cause").await;
}

/// Ktor `testHttpRequestLifecycleSuccess`, on HTTP/1.1 and h2c.
#[tokio::test]
async fn lifecycle_success_http1_and_h2c() {
    let mut app = Application::new(());
    app.install(HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    }))
    .unwrap();
    let ok = || async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        "OK"
    };
    app.routing(Router::new().route("/", get(ok))).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    let h1 = server.get("/").await.unwrap();
    let h2 = server
        .send_h2c(http::Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    for res in [h1, h2] {
        assert_eq!(
            (res.status().as_u16(), res.text().unwrap().as_str()),
            (200, "OK")
        );
    }
}

/// Ktor `testHttpRequestLifecycleWithStream`, on HTTP/1.1 and h2c.
#[tokio::test]
async fn lifecycle_with_stream_http1_and_h2c() {
    let mut app = Application::new(());
    app.install(HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    }))
    .unwrap();
    let stream = || async {
        let chunks = futures_util::stream::unfold(0, |i| async move {
            if i == 3 {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((
                Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"OK;")),
                i + 1,
            ))
        });
        (
            [(http::header::CONTENT_TYPE, "application/octet-stream")],
            Body::from_stream(chunks),
        )
    };
    app.routing(Router::new().route("/", get(stream))).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    let h1 = server.get("/").await.unwrap();
    let h2 = server
        .send_h2c(http::Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    for res in [h1, h2] {
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.header("content-type"), Some("application/octet-stream"));
        assert_eq!(res.text().unwrap(), "OK;OK;OK;");
    }
}

/// Ktor `testConnectionCloseRequestCompletesSuspendingHandler` (KTOR-9731): a `Connection:
/// close` POST whose body is sent after the handler started completes.
#[tokio::test]
async fn connection_close_request_completes() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut app = Application::new(Probe(tx));
    app.install(HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    }))
    .unwrap();
    let slow = |State(probe): State<Probe>, body: Body| async move {
        probe.send("started");
        let _ = axum::body::to_bytes(body, 1024).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        probe.send("completed");
        "pong"
    };
    app.routing(Router::new().route("/slow", post(slow)))
        .unwrap();
    let server = TestApplication::start(app).await.unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(
        b"POST /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(next(&mut rx).await.0, "started");
    s.write_all(b"ping").await.unwrap();
    let text = read_all(&mut s).await;
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("pong"),
        "{text}"
    );
    assert_eq!(next(&mut rx).await.0, "completed");
}

#[tokio::test]
async fn http10_request_to_cancelling_route_completes() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /work?ms=100 HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let text = read_all(&mut s).await;
    assert!(
        text.starts_with("HTTP/1.0 200 OK") && text.ends_with("done"),
        "{text}"
    );
    wait_for(&mut rx, "finished", "cleanup").await;
}

/// Ktor `testPipelinedRequestsCancelledOnDisconnect`: the running call is cancelled and the
/// queued one never runs.
#[tokio::test]
async fn pipelined_requests_cancelled_on_disconnect() {
    let (app, mut rx, metrics) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /work HTTP/1.1\r\nHost: x\r\n\r\nGET /work HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await.0, "started");
    drop(s);
    wait_for(&mut rx, "cleanup", "finished").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok((e, _)) = rx.try_recv() {
        assert_ne!(e, "started", "the queued request ran");
    }
    assert_eq!(metrics.cancelled_calls(), 1);
}
