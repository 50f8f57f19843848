//! The thread-per-core mode over real sockets: every worker serves, the engine's bounds
//! (`maxConnections`, timeouts) and graceful shutdown span all workers, engine tasks run on the
//! worker that started them, TLS (h2 by ALPN, with curl) works, and `EngineMain` reads
//! `threadPerCore` / `workerGroupSize`.
#![cfg(unix)]

#[cfg(feature = "tls")]
mod tls_support;

use std::{
    collections::BTreeSet,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{routing::get, Router};
use oxtor_runtime::{
    config::EngineMain,
    server::{EngineTasks, Server, ServerConfig},
    Application,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

const LIMIT: Duration = Duration::from_secs(10);

/// `GET /thread` → the name of the thread that ran the handler; `GET /slow` → `finished` after
/// 300 ms.
fn app() -> Application {
    let mut app = Application::new(());
    let routes = Router::new()
        .route(
            "/thread",
            get(|| async { std::thread::current().name().unwrap_or("?").to_owned() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "finished"
            }),
        );
    app.routing(routes).expect("routes");
    app
}

/// One request on a fresh connection (`Connection: close`); the whole response as text.
async fn get_once(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let _ = timeout(LIMIT, s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// The body of a response read by [`get_once`].
fn body(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[tokio::test]
async fn every_worker_serves_connections_on_its_own_thread() {
    let running = Server::new(app(), ServerConfig::local(0).with_thread_per_core(2))
        .start()
        .await
        .expect("starts");
    assert_eq!(running.workers(), 2);
    let mut threads = BTreeSet::new();
    // The kernel hashes each connection to a listener: 64 connections all on one worker would
    // happen once in 2^63.
    for _ in 0..64 {
        let response = get_once(running.local_addr(), "/thread").await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        threads.insert(body(&response).to_owned());
    }
    running.shutdown().await.expect("shutdown");
    assert_eq!(
        threads,
        BTreeSet::from(["oxtor-worker-0".to_owned(), "oxtor-worker-1".to_owned()])
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_calls_on_every_worker_then_stops_accepting() {
    let running = Server::new(app(), ServerConfig::local(0).with_thread_per_core(2))
        .start()
        .await
        .expect("starts");
    let addr = running.local_addr();
    // Enough slow calls in flight that both workers have some.
    let calls: Vec<_> = (0..16)
        .map(|_| tokio::spawn(get_once(addr, "/slow")))
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    timeout(LIMIT, running.shutdown())
        .await
        .expect("in time")
        .expect("shutdown");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    for call in calls {
        let response = call.await.expect("client task");
        assert!(
            response.starts_with("HTTP/1.1 200 OK") && response.ends_with("finished"),
            "{response}"
        );
    }
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}

#[tokio::test]
async fn max_connections_counts_the_connections_of_every_worker() {
    let running = Server::new(app(), ServerConfig::local(0).with_thread_per_core(2))
        .max_connections(1)
        .start()
        .await
        .expect("starts");
    let addr = running.local_addr();
    let mut first = TcpStream::connect(addr).await.expect("connect");
    first
        .write_all(b"GET /thread HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 256];
    let n = timeout(LIMIT, first.read(&mut buf))
        .await
        .expect("answered")
        .expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
    // At the cap, whichever worker the second connection lands on leaves it in the backlog.
    let second = tokio::spawn(get_once(addr, "/thread"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a second connection was served at the cap"
    );
    drop(first);
    let response = timeout(LIMIT, second)
        .await
        .expect("served once the first closed")
        .expect("client task");
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    running.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn header_read_timeout_closes_a_silent_connection_on_a_worker() {
    let running = Server::new(app(), ServerConfig::local(0).with_thread_per_core(2))
        .header_read_timeout(Some(Duration::from_millis(200)))
        .start()
        .await
        .expect("starts");
    let mut silent = TcpStream::connect(running.local_addr())
        .await
        .expect("connect");
    let mut buf = [0u8; 16];
    let read = timeout(Duration::from_secs(3), silent.read(&mut buf))
        .await
        .expect("closed within 3 s");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    running.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn graceful_shutdown_waits_for_engine_tasks_started_on_a_worker() {
    let done = Arc::new(AtomicBool::new(false));
    let mut app = Application::new(());
    let flag = done.clone();
    app.routing(Router::new().route(
        "/audit",
        get(move |tasks: EngineTasks| {
            let flag = flag.clone();
            async move {
                tasks.spawn(async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    flag.store(true, Ordering::SeqCst);
                });
                "started"
            }
        }),
    ))
    .expect("routes");
    let running = Server::new(app, ServerConfig::local(0).with_thread_per_core(2))
        .start()
        .await
        .expect("starts");
    let response = get_once(running.local_addr(), "/audit").await;
    assert!(response.ends_with("started"), "{response}");
    let report = timeout(LIMIT, running.shutdown_with_report())
        .await
        .expect("in time")
        .expect("shutdown");
    assert!(done.load(Ordering::SeqCst), "the task was not awaited");
    assert_eq!((report.in_time, report.abandoned_tasks), (true, 0));
}

#[tokio::test]
async fn connection_hooks_run_for_every_workers_connections() {
    let opened = Arc::new(AtomicUsize::new(0));
    let mut app = app();
    let count = opened.clone();
    app.engine_hooks().on_connection(move |_| {
        count.fetch_add(1, Ordering::SeqCst);
    });
    let running = Server::new(app, ServerConfig::local(0).with_thread_per_core(2))
        .start()
        .await
        .expect("starts");
    for _ in 0..8 {
        let response = get_once(running.local_addr(), "/thread").await;
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    }
    running.shutdown().await.expect("shutdown");
    assert_eq!(opened.load(Ordering::SeqCst), 8);
}

#[cfg(feature = "tls")]
#[tokio::test]
async fn https_with_h2_is_served_by_the_workers() {
    use oxtor_runtime::server::{
        tls::{Tls, TlsSettings},
        Connector,
    };
    let certs = tls_support::Certs::new("thread-per-core");
    let tls =
        Tls::load(TlsSettings::new(certs.path("server.pem"))).unwrap_or_else(|e| panic!("{e}"));
    let running = Server::new(app(), ServerConfig::local(0).with_thread_per_core(2))
        .connectors([Connector::https("127.0.0.1", 0, tls)])
        .start()
        .await
        .expect("starts");
    let out = tls_support::curl(
        &certs,
        running.local_addr(),
        "/thread",
        &["--http2", "-w", " %{http_version}"],
    )
    .await;
    let text = tls_support::text(&out);
    assert!(
        text.starts_with("oxtor-worker-") && text.ends_with(" 2"),
        "{}",
        tls_support::describe(&out)
    );
    running.shutdown().await.expect("shutdown");
}

#[tokio::test]
async fn engine_main_serves_with_the_worker_group_size_of_its_config_file() {
    let dir = std::env::temp_dir().join(format!("oxtor-tpc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("application.conf");
    std::fs::write(
        &file,
        "ktor.deployment { host = 127.0.0.1, port = 0, threadPerCore = true, workerGroupSize = 3 }",
    )
    .expect("config file");
    let main = EngineMain::from_iter([format!("-config={}", file.display())]).expect("config");
    let running = main
        .start(|app, _| app.routing(Router::new().route("/", get(|| async { "hi" }))))
        .await
        .expect("starts");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(running.workers(), 3);
    let response = get_once(running.local_addr(), "/").await;
    assert!(response.ends_with("hi"), "{response}");
    running.shutdown().await.expect("shutdown");
}

#[test]
fn a_zero_worker_group_size_is_a_start_up_error_naming_the_key_and_the_file() {
    let dir = std::env::temp_dir().join(format!("oxtor-tpc-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("application.conf");
    std::fs::write(
        &file,
        "ktor.deployment {\n  port = 0\n  threadPerCore = true\n  workerGroupSize = 0\n}\n",
    )
    .expect("config file");
    let err = EngineMain::from_iter([format!("-config={}", file.display())])
        .and_then(|main| main.server_config())
        .expect_err("a bad value");
    let _ = std::fs::remove_dir_all(&dir);
    let text = err.to_string();
    assert!(
        text.contains("application.conf:4")
            && text.contains("ktor.deployment.workerGroupSize")
            && text.contains("at least 1"),
        "{text}"
    );
}
