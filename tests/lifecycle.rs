//! `HttpRequestLifecycle` through the facade: a cancelled call is logged at debug with its
//! method, URI and latency, and counted; the server keeps serving (Ktor KTOR-9343).
use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{routing::get, Router};
use oxtor::{
    plugins::lifecycle::{Cancellation, HttpRequestLifecycle},
    testing::TestApplication,
    Application,
};
use tokio::{io::AsyncWriteExt, sync::mpsc, time::timeout};

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = self.0.lock() {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn cancelled_call_is_logged_at_debug_with_latency_and_counted() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // current-thread runtime: the server's tasks log on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let (tx, mut rx) = mpsc::unbounded_channel::<&'static str>();
    let mut app = Application::new(());
    let plugin = HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    })
    .unwrap();
    let metrics = plugin.metrics();
    app.install(plugin).unwrap();
    let work = move |cancel: Cancellation| {
        let tx = tx.clone();
        async move {
            let _ = tx.send("started");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => "done",
                _ = cancel.cancelled() => { let _ = tx.send("cleanup"); "" }
            }
        }
    };
    app.routing(
        Router::new()
            .route("/work", get(work))
            .route("/hello", get(|| async { "Hello, world!" })),
    )
    .unwrap();
    let server = TestApplication::start(app).await.unwrap();

    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /work?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        timeout(Duration::from_secs(10), rx.recv()).await.unwrap(),
        Some("started")
    );
    drop(s);
    assert_eq!(
        timeout(Duration::from_secs(10), rx.recv()).await.unwrap(),
        Some("cleanup")
    );

    assert_eq!(server.get_text("/hello").await.unwrap(), "Hello, world!");
    assert_eq!(metrics.cancelled_calls(), 1);
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("call cancelled: its client went away"))
        .unwrap_or_else(|| panic!("no cancel log in:\n{text}"));
    assert!(line.contains("DEBUG"), "{line}");
    assert!(
        line.contains("method=GET") && line.contains("uri=/work?x=1"),
        "{line}"
    );
    assert!(line.contains("latency_ms="), "{line}");
}
