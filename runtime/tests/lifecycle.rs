//! `HttpRequestLifecycle` over real sockets, HTTP/1.1 and h2c: Ktor's HttpRequestLifecycleTest
//! (§5.3, including the later `Connection: close` and pipelining cases), disconnects mid-call and
//! with an unread body, HTTP/2 stream resets, half-close, per-route choice, and 10,000
//! disconnects leaving no task or memory behind.
use std::{
    error::Error as _,
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{Query, State},
    routing::{get, post},
    Router,
};
use oxtor_runtime::{
    plugins::lifecycle::{
        CallScope, Cancellation, ConnectionClosed, HttpRequestLifecycle, LifecycleMetrics,
    },
    routing::{blocks, RoutingBlock},
    testing::TestApplication,
    Application,
};
use serde::Deserialize;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::mpsc,
    time::timeout,
};

const LIMIT: Duration = Duration::from_secs(10);

/// What handlers report, with when it happened.
type Events = mpsc::UnboundedReceiver<(&'static str, Instant)>;

#[derive(Clone)]
struct Probe(mpsc::UnboundedSender<(&'static str, Instant)>);

impl Probe {
    fn send(&self, what: &'static str) {
        let _ = self.0.send((what, Instant::now()));
    }
}

/// Reports `what` when dropped.
struct Guard(Probe, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.send(self.1);
    }
}

#[derive(Deserialize)]
struct Ms {
    ms: Option<u64>,
}

/// Reports `started`, spawns a child in the call's scope, then sleeps `ms` (default 5 s):
/// `finished` if it ran to the end, `cleanup` from the `select!` branch when cancelled,
/// `dropped` / `child-dropped` from Drop guards.
async fn work(
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
async fn upload(State(probe): State<Probe>, cancel: Cancellation) -> &'static str {
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
fn app(plugin: Option<bool>) -> (Application<Probe>, Events, LifecycleMetrics) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut app = Application::new(Probe(tx));
    let mut metrics = LifecycleMetrics::new();
    if let Some(cancel) = plugin {
        let p = HttpRequestLifecycle::configure(|cfg| {
            cfg.cancel_call_on_close(cancel);
        })
        .unwrap();
        metrics = p.metrics();
        app.install(p).unwrap();
    }
    let mut keep = blocks::lifecycle();
    keep.cancel_call_on_close(false);
    let mut eager = blocks::lifecycle();
    eager.cancel_call_on_close(true);
    app.routing(
        Router::new()
            .route("/work", get(work))
            .route("/upload", post(upload))
            .merge(keep.wrap(Router::new().route("/slow", get(work))))
            .merge(eager.wrap(Router::new().route("/eager", get(work)))),
    )
    .unwrap();
    (app, rx, metrics)
}

async fn next(rx: &mut Events) -> (&'static str, Instant) {
    timeout(LIMIT, rx.recv())
        .await
        .expect("an event in time")
        .expect("channel open")
}

/// Waits for `what`, returning when it happened; fails on `unwanted` first.
async fn wait_for(rx: &mut Events, what: &str, unwanted: &str) -> Instant {
    loop {
        let (e, at) = next(rx).await;
        assert_ne!(e, unwanted, "got `{unwanted}` while waiting for `{what}`");
        if e == what {
            return at;
        }
    }
}

/// Sends a GET on a fresh connection and waits until the handler started.
async fn start_call(server: &TestApplication, path: &str, rx: &mut Events) -> TcpStream {
    let mut s = server.connect().await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(next(rx).await.0, "started");
    s
}

async fn read_all(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = timeout(LIMIT, s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn disconnect_cancels_call_cleanup_within_50ms_and_child_task() {
    let (app, mut rx, metrics) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let s = start_call(&server, "/work", &mut rx).await;
    let closed_at = Instant::now();
    drop(s);
    let cleanup = wait_for(&mut rx, "cleanup", "finished").await;
    assert!(
        cleanup - closed_at < Duration::from_millis(50),
        "cleanup after {:?}",
        cleanup - closed_at
    );
    let mut seen = vec![];
    while seen.len() < 2 {
        seen.push(next(&mut rx).await.0);
    }
    seen.sort();
    assert_eq!(seen, ["child-dropped", "dropped"]);
    assert_eq!(metrics.cancelled_calls(), 1);
}

#[tokio::test]
async fn reset_cancels_call() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let s = start_call(&server, "/work", &mut rx).await;
    #[allow(deprecated)]
    s.set_linger(Some(Duration::ZERO)).unwrap();
    drop(s);
    wait_for(&mut rx, "cleanup", "finished").await;
}

#[tokio::test]
async fn without_plugin_handler_finishes_its_work() {
    let (app, mut rx, _) = app(None);
    let server = TestApplication::start(app).await.unwrap();
    drop(start_call(&server, "/work?ms=300", &mut rx).await);
    wait_for(&mut rx, "finished", "cleanup").await;
}

#[tokio::test]
async fn cancel_call_on_close_false_lets_handler_finish_and_counts_it() {
    let (app, mut rx, metrics) = app(Some(false));
    let server = TestApplication::start(app).await.unwrap();
    drop(start_call(&server, "/work?ms=300", &mut rx).await);
    wait_for(&mut rx, "finished", "cleanup").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(metrics.calls_finished_without_client(), 1);
    assert_eq!(metrics.cancelled_calls(), 0);
}

#[tokio::test]
async fn unread_body_disconnect_cancels_call() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nfirst bytes")
        .await
        .unwrap();
    assert_eq!(next(&mut rx).await.0, "started");
    let closed_at = Instant::now();
    drop(s);
    let cleanup = wait_for(&mut rx, "cleanup", "finished").await;
    assert!(
        cleanup - closed_at < Duration::from_millis(50),
        "{:?}",
        cleanup - closed_at
    );
}

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
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(s),
    )
    .await
    .unwrap();
    let conn = tokio::spawn(conn);
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
            (res.status.as_u16(), res.text().unwrap().as_str()),
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
        assert_eq!(res.status.as_u16(), 200);
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

#[tokio::test]
async fn h2_stream_reset_cancels_only_that_stream() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let s = server.connect().await.unwrap();
    let (sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(s),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let mut a = sender.clone();
    let mut b = sender.clone();
    let doomed = tokio::spawn(async move {
        let req = http::Request::get("http://x/work")
            .body(Body::empty())
            .unwrap();
        a.send_request(req).await
    });
    assert_eq!(next(&mut rx).await.0, "started");
    let sibling = tokio::spawn(async move {
        let req = http::Request::get("http://x/work?ms=300")
            .body(Body::empty())
            .unwrap();
        let res = b.send_request(req).await?;
        http_body_util::BodyExt::collect(res.into_body())
            .await
            .map(|b| b.to_bytes())
    });
    assert_eq!(next(&mut rx).await.0, "started");
    doomed.abort(); // dropping the response future resets the stream
    wait_for(&mut rx, "cleanup", "finished").await;
    let body = timeout(LIMIT, sibling).await.unwrap().unwrap().unwrap();
    assert_eq!(&body[..], b"done");
}

#[tokio::test]
async fn half_closing_client_gets_full_response_from_non_cancelling_route() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    s.shutdown().await.unwrap();
    let text = read_all(&mut s).await;
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("done"),
        "{text}"
    );
    wait_for(&mut rx, "finished", "cleanup").await;
}

#[tokio::test]
async fn half_close_counts_as_disconnect_on_cancelling_route() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let mut s = start_call(&server, "/work", &mut rx).await;
    s.shutdown().await.unwrap();
    wait_for(&mut rx, "cleanup", "finished").await;
    assert_eq!(read_all(&mut s).await, "", "a cancelled call sends nothing");
}

#[tokio::test]
async fn route_block_cancels_where_plugin_does_not() {
    let (app, mut rx, _) = app(Some(false));
    let server = TestApplication::start(app).await.unwrap();
    drop(start_call(&server, "/eager", &mut rx).await);
    wait_for(&mut rx, "cleanup", "finished").await;
}

#[tokio::test]
async fn one_call_cancelled_never_touches_another() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let mut keep = start_call(&server, "/work?ms=400", &mut rx).await;
    drop(start_call(&server, "/work", &mut rx).await);
    wait_for(&mut rx, "cleanup", "finished").await;
    let text = read_all_response(&mut keep).await;
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("done"),
        "{text}"
    );
    assert_eq!(server.get_text("/work?ms=1").await.unwrap(), "done");
}

/// Reads one keep-alive response (until its 4-byte body `done` or the limit).
async fn read_all_response(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let deadline = Instant::now() + LIMIT;
    while !buf.ends_with(b"done") && Instant::now() < deadline {
        let mut chunk = [0u8; 1024];
        match timeout(LIMIT, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_disconnects_leave_no_task_or_memory_behind() {
    let (app, mut rx, metrics) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let handle = tokio::runtime::Handle::current();
    // Warm up allocator and pools, then take the baseline.
    let round = |n: usize| {
        let addr = server.addr();
        async move {
            let mut batch = tokio::task::JoinSet::new();
            for _ in 0..n {
                batch.spawn(async move {
                    if let Ok(mut s) = TcpStream::connect(addr).await {
                        let _ = s.write_all(b"GET /work HTTP/1.1\r\nHost: x\r\n\r\n").await;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                });
            }
            while batch.join_next().await.is_some() {}
        }
    };
    for _ in 0..5 {
        round(100).await;
    }
    let settle = |target: usize| {
        let handle = handle.clone();
        async move {
            let deadline = Instant::now() + LIMIT;
            while handle.metrics().num_alive_tasks() > target && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            handle.metrics().num_alive_tasks()
        }
    };
    let base_tasks = settle(3).await;
    let base_rss = rss_kib();
    let t0 = Instant::now();
    for _ in 0..100 {
        round(100).await;
    }
    let elapsed = t0.elapsed();
    let tasks = settle(base_tasks).await;
    let rss = rss_kib();
    assert!(
        tasks <= base_tasks,
        "{tasks} tasks alive, baseline {base_tasks}"
    );
    assert!(
        rss < base_rss + 16 * 1024,
        "RSS grew from {base_rss} KiB to {rss} KiB"
    );
    assert!(
        metrics.cancelled_calls() >= 9_000,
        "{} cancelled",
        metrics.cancelled_calls()
    );
    eprintln!(
        "10,000 disconnects in {elapsed:?}; tasks {base_tasks}→{tasks}; RSS {base_rss}→{rss} KiB"
    );
    drain.abort();
}

/// Runs a real peer (`nc`, `curl`) with a time limit and returns its standard output.
async fn run_peer(cmd: &str, args: &[&str], stdin: &[u8]) -> String {
    use std::process::Stdio;
    let mut child = tokio::process::Command::new(cmd)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("`{cmd}` is needed (scripts/test installs it): {e}"));
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    let out = timeout(LIMIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn nc_half_closing_gets_answer_from_non_cancelling_route() {
    let (app, _rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let port = server.addr().port().to_string();
    // `nc -N` shuts down its writing side once the request is sent, then reads the answer.
    let out = run_peer(
        "nc",
        &["-N", "127.0.0.1", &port],
        b"GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        out.starts_with("HTTP/1.1 200 OK") && out.ends_with("done"),
        "{out}"
    );
}

#[tokio::test]
async fn curl_h2c_call_completes_with_plugin_on() {
    let (app, _rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let url = server.url("/work?ms=100");
    let out = run_peer("curl", &["-s", "--http2-prior-knowledge", &url], b"").await;
    assert_eq!(out, "done");
}
