//! `HttpRequestLifecycle` over real sockets: disconnects mid-call and with an unread body, resets,
//! HTTP/2 stream resets, half-close (also with `nc -N`), per-route choice, isolation between
//! calls, and 10,000 disconnects leaving no task or memory behind.
mod lifecycle_support;

use lifecycle_support::*;
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{body::Body, extract::State};
use http_body_util::BodyExt;
use oxtor_runtime::{server::ClientDisconnect, testing::TestApplication};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

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

#[tokio::test]
async fn h2_stream_reset_cancels_only_that_stream() {
    let (app, mut rx, _) = app(Some(true));
    let server = TestApplication::start(app).await.unwrap();
    let s = server.connect().await.unwrap();
    let (sender, _) = h2_handshake(s).await;
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

/// Without the plugin the engine does not watch calls; a route block's watch takes charge of the
/// HTTP/2 stream's call state and cancels the call when the stream is reset.
#[tokio::test]
async fn h2_stream_reset_cancels_in_a_route_block_without_the_plugin() {
    let (app, mut rx, _) = app(None);
    let server = TestApplication::start(app).await.unwrap();
    let s = server.connect().await.unwrap();
    let (mut sender, _) = h2_handshake(s).await;
    let doomed = tokio::spawn(async move {
        let req = http::Request::get("http://x/eager")
            .body(Body::empty())
            .unwrap();
        sender.send_request(req).await
    });
    assert_eq!(next(&mut rx).await.0, "started");
    doomed.abort(); // dropping the response future resets the stream
    wait_for(&mut rx, "cleanup", "finished").await;
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

/// The engine's calls on one HTTP/1.1 connection under the plugin's watch: what each call
/// reads of its own state (its address, and whether it is cancelled), or, on `/hold`, also
/// keeps the call's signal after the call is done (as a task spawned in its scope would).
fn call_state_app() -> oxtor_runtime::Application<Held> {
    use axum::{extract::Request, routing::get, Router};
    use oxtor_runtime::{plugins::lifecycle::HttpRequestLifecycle, server::CallState};

    fn describe(req: &Request) -> String {
        match CallState::of(req.extensions()) {
            Some(call) => format!("{:p} {}", Arc::as_ptr(call), call.is_cancelled()),
            None => "no state".to_owned(),
        }
    }
    let hold = |State(held): State<Held>, req: Request| async move {
        let signal = req.extensions().get::<ClientDisconnect>().cloned();
        held.0.lock().unwrap().extend(signal);
        describe(&req)
    };
    let mut app = oxtor_runtime::Application::new(Held::default());
    app.install(HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    }))
    .unwrap();
    let routes = Router::new()
        .route("/state", get(|req: Request| async move { describe(&req) }))
        .route("/hold", get(hold));
    app.routing(routes).unwrap();
    app
}

/// Signals that outlive their call (see [`call_state_app`]).
#[derive(Clone, Default)]
struct Held(Arc<Mutex<Vec<ClientDisconnect>>>);

/// The bodies of GET `paths`, sent one after the other on one keep-alive HTTP/1.1 connection.
async fn bodies_on_one_connection(server: &TestApplication, paths: &[&str]) -> Vec<String> {
    let io = hyper_util::rt::TokioIo::new(server.connect().await.unwrap());
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Body>(io)
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let mut bodies = Vec::new();
    for path in paths {
        let req = http::Request::get(*path)
            .header("host", "x")
            .body(Body::empty())
            .unwrap();
        let res = timeout(LIMIT, sender.send_request(req))
            .await
            .unwrap()
            .unwrap();
        let body = timeout(LIMIT, res.into_body().collect())
            .await
            .unwrap()
            .unwrap();
        bodies.push(String::from_utf8_lossy(&body.to_bytes()).into_owned());
    }
    conn.abort();
    bodies
}

#[tokio::test]
async fn http1_calls_on_one_connection_reuse_one_fresh_call_state() {
    let server = TestApplication::start(call_state_app()).await.unwrap();
    let bodies = bodies_on_one_connection(&server, &["/state", "/state", "/state"]).await;
    assert!(bodies[0].ends_with(" false"), "{bodies:?}");
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
}

#[tokio::test]
async fn a_call_state_still_held_after_its_call_is_not_reused() {
    let server = TestApplication::start(call_state_app()).await.unwrap();
    let bodies = bodies_on_one_connection(&server, &["/hold", "/state", "/state"]).await;
    assert!(bodies.iter().all(|b| b.ends_with(" false")), "{bodies:?}");
    assert_ne!(
        bodies[0], bodies[1],
        "the held state was reset for the next call"
    );
    assert_eq!(bodies[1], bodies[2]);
}
