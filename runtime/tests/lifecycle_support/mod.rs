//! Shared by the lifecycle test files: a probe the handlers report to, the routes, and
//! raw-socket and HTTP/2 client helpers.
#![allow(dead_code)]
use std::time::{Duration, Instant};

use axum::{
    body::Body,
    extract::{Query, State},
    routing::{get, post},
    Router,
};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use oxtor_runtime::{
    plugins::lifecycle::{
        CallMetrics, CallScope, Cancellation, HttpRequestLifecycle, LifecycleBlocks,
    },
    routing::{Blocks, Routes, RoutingBlock},
    testing::TestApplication,
    Application,
};
use serde::Deserialize;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
    sync::mpsc,
    task::JoinHandle,
    time::timeout,
};

pub(crate) const LIMIT: Duration = Duration::from_secs(10);

/// What handlers report, with when it happened.
pub(crate) type Events = mpsc::UnboundedReceiver<(&'static str, Instant)>;

#[derive(Clone)]
pub(crate) struct Probe(pub(crate) mpsc::UnboundedSender<(&'static str, Instant)>);

impl Probe {
    pub(crate) fn send(&self, what: &'static str) {
        let _ = self.0.send((what, Instant::now()));
    }
}

/// Reports `what` when dropped.
pub(crate) struct Guard(pub(crate) Probe, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.send(self.1);
    }
}

#[derive(Deserialize)]
pub(crate) struct Ms {
    pub(crate) ms: Option<u64>,
}

/// Reports `started`, spawns a child in the call's scope, then sleeps `ms` (default 5 s):
/// `finished` if it ran to the end, `cleanup` from the `select!` branch when cancelled,
/// `dropped` / `child-dropped` from Drop guards.
pub(crate) async fn work(
    State(probe): State<Probe>,
    cancel: Cancellation,
    scope: CallScope,
    Query(q): Query<Ms>,
) -> &'static str {
    probe.send("started");
    let _guard = Guard(probe.clone(), "dropped");
    let child = Guard(probe.clone(), "child-dropped");
    scope.spawn(async move {
        let _child = child;
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(q.ms.unwrap_or(5_000))) => {
            probe.send("finished");
            "done"
        }
        _ = cancel.cancelled() => {
            probe.send("cleanup");
            ""
        }
    }
}

/// Never reads its body.
pub(crate) async fn upload(State(probe): State<Probe>, cancel: Cancellation) -> &'static str {
    probe.send("started");
    let _guard = Guard(probe.clone(), "dropped");
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(5)) => { probe.send("finished"); "done" }
        _ = cancel.cancelled() => { probe.send("cleanup"); "" }
    }
}

/// `plugin`: `None` = not installed, `Some(x)` = `cancel_call_on_close = x`. `/work` and
/// `/upload` follow the plugin; `/slow` is under `lifecycle(cancel_call_on_close = false)`,
/// `/eager` under `lifecycle(cancel_call_on_close = true)`.
pub(crate) fn app(plugin: Option<bool>) -> (Application<Probe>, Events, CallMetrics) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut app = Application::new(Probe(tx));
    let mut metrics = CallMetrics::new();
    if let Some(cancel) = plugin {
        let p = HttpRequestLifecycle::configure(|cfg| {
            cfg.cancel_call_on_close(cancel);
        })
        .unwrap();
        metrics = p.metrics();
        app.install(p).unwrap();
    }
    let mut keep = Blocks.lifecycle();
    keep.cancel_call_on_close(false);
    let mut eager = Blocks.lifecycle();
    eager.cancel_call_on_close(true);
    app.routing(
        Router::new()
            .route("/work", get(work))
            .route("/upload", post(upload))
            .merge(keep.wrap(Routes::from(Router::new().route("/slow", get(work)))))
            .merge(eager.wrap(Routes::from(Router::new().route("/eager", get(work))))),
    )
    .unwrap();
    (app, rx, metrics)
}

pub(crate) async fn next(rx: &mut Events) -> (&'static str, Instant) {
    timeout(LIMIT, rx.recv())
        .await
        .expect("an event in time")
        .expect("channel open")
}

/// Waits for `what`, returning when it happened; fails on `unwanted` first.
pub(crate) async fn wait_for(rx: &mut Events, what: &str, unwanted: &str) -> Instant {
    loop {
        let (e, at) = next(rx).await;
        assert_ne!(e, unwanted, "got `{unwanted}` while waiting for `{what}`");
        if e == what {
            return at;
        }
    }
}

/// Sends a GET on a fresh connection and waits until the handler started.
pub(crate) async fn start_call(server: &TestApplication, path: &str, rx: &mut Events) -> TcpStream {
    let mut s = server.connect().await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(next(rx).await.0, "started");
    s
}

pub(crate) async fn read_all(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = timeout(LIMIT, s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// The HTTP/2 client handshake over `io` (h2c with prior knowledge on a plain socket, or a TLS
/// stream that negotiated `h2`), with the connection driven on a spawned task: the request
/// sender and that task (abort it and the whole connection goes away).
pub(crate) async fn h2_handshake<T>(io: T) -> (SendRequest<Body>, JoinHandle<hyper::Result<()>>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .unwrap_or_else(|e| panic!("h2 handshake: {e}"));
    (sender, tokio::spawn(conn))
}
