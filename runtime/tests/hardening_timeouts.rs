//! Header-read and idle timeouts over real sockets: slowloris connections are closed after the
//! header-read timeout while other clients are served, idle keep-alive connections after the idle
//! timeout, and calls (or streamed responses) longer than both are never cut — also when the
//! engine watches calls (`HttpRequestLifecycle { cancel_call_on_close = true }`).
use std::time::{Duration, Instant};

use axum::{body::Body, routing::get, Router};
use futures_util::stream;
use oxtor_runtime::{
    plugins::lifecycle::HttpRequestLifecycle, server::ServerConfig, testing::TestApplication,
    Application,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::{sleep, timeout},
};

const SECOND: Duration = Duration::from_secs(1);

fn config(header_read: Option<Duration>, idle: Option<Duration>) -> ServerConfig {
    ServerConfig {
        header_read_timeout: header_read,
        idle_timeout: idle,
        ..ServerConfig::local(0)
    }
}

async fn server(config: ServerConfig) -> TestApplication {
    serve(config, false).await
}

/// The server, with the engine watching every call (cancelled when its client goes away) if
/// `watched`.
async fn serve(config: ServerConfig, watched: bool) -> TestApplication {
    let streamed = || async {
        let chunks = stream::unfold(0, |n| async move {
            (n < 5).then_some(())?;
            sleep(Duration::from_millis(500)).await;
            Some((Ok::<_, std::io::Error>(format!("chunk{n}\n")), n + 1))
        });
        Body::from_stream(chunks)
    };
    let slow = || async {
        sleep(Duration::from_millis(2_500)).await;
        "slow"
    };
    let mut app = Application::new(());
    if watched {
        app.install(HttpRequestLifecycle::configure(|cfg| {
            cfg.cancel_call_on_close(true);
        }))
        .expect("installs");
    }
    app.routing(
        Router::new()
            .route("/hello", get(|| async { "Hello, World!" }))
            .route("/slow", get(slow))
            .route("/streamed", get(streamed)),
    )
    .expect("routes");
    TestApplication::start_with(app, config)
        .await
        .expect("server starts")
}

/// Waits (at most `limit`) for the server to close `stream`, reading and discarding what comes;
/// returns how long it took, `None` if it stayed open.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
    .map(|()| started.elapsed())
}

#[tokio::test]
async fn slowloris_connections_are_closed_after_the_header_read_timeout() {
    let server = server(config(Some(SECOND), None)).await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = server.connect().await.expect("connects");
        s.write_all(b"GET /hello HTTP/1.1\r\n")
            .await
            .expect("writes");
        slow.push(s);
    }
    let started = Instant::now();
    // One header byte every 200 ms from each, while a polite client is served.
    let trickle = async {
        for _ in 0..15 {
            sleep(Duration::from_millis(200)).await;
            for s in &mut slow {
                let _ = s.write_all(b"X").await;
            }
        }
    };
    let polite = async {
        let mut served = 0;
        while started.elapsed() < Duration::from_secs(2) {
            let res = server.get("/hello").await.expect("served");
            assert_eq!(res.text().expect("text"), "Hello, World!");
            served += 1;
        }
        served
    };
    let ((), served) = tokio::join!(trickle, polite);
    assert!(served > 0);
    for s in &mut slow {
        let closed = closed_within(s, Duration::from_secs(3)).await;
        assert!(closed.is_some(), "a slowloris connection stayed open");
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= SECOND && elapsed < Duration::from_secs(6),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    idle_connection_is_closed(server(config(None, Some(SECOND))).await).await;
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed_after_a_watched_call() {
    idle_connection_is_closed(serve(config(None, Some(SECOND)), true).await).await;
}

/// One call on a keep-alive connection, then nothing: the idle timeout closes it.
async fn idle_connection_is_closed(server: TestApplication) {
    let mut s = server.connect().await.expect("connects");
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("writes");
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.expect("response");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let closed = closed_within(&mut s, Duration::from_secs(5))
        .await
        .expect("closed by the idle timeout");
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
}

#[tokio::test]
async fn call_longer_than_the_timeouts_is_not_cut() {
    let server = server(config(Some(SECOND), Some(SECOND))).await;
    let res = server.get("/slow").await.expect("served");
    assert_eq!(res.text().expect("text"), "slow");
}

#[tokio::test]
async fn streamed_response_longer_than_the_timeouts_is_not_cut() {
    streamed_response_is_not_cut(server(config(Some(SECOND), Some(SECOND))).await).await;
}

#[tokio::test]
async fn streamed_response_of_a_watched_call_longer_than_the_timeouts_is_not_cut() {
    streamed_response_is_not_cut(serve(config(Some(SECOND), Some(SECOND)), true).await).await;
}

/// A response streamed over 2.5 s, past both timeouts, arrives whole.
async fn streamed_response_is_not_cut(server: TestApplication) {
    let res = server.get("/streamed").await.expect("served");
    assert_eq!(
        res.text().expect("text"),
        "chunk0\nchunk1\nchunk2\nchunk3\nchunk4\n"
    );
}

#[tokio::test]
async fn timeouts_off_keep_a_silent_connection_open() {
    let server = server(config(None, None)).await;
    let mut s = server.connect().await.expect("connects");
    assert_eq!(closed_within(&mut s, Duration::from_secs(2)).await, None);
}

#[tokio::test]
async fn silent_h2c_connection_is_closed_after_the_header_read_timeout() {
    let server = server(config(Some(SECOND), None)).await;
    let mut s = server.connect().await.expect("connects");
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("preface");
    // An empty SETTINGS frame, then nothing.
    s.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .expect("settings");
    let closed = closed_within(&mut s, Duration::from_secs(5)).await;
    assert!(closed.is_some(), "the silent h2c connection stayed open");
}
