//! HTTP/2 Rapid Reset (CVE-2023-44487) over real sockets, with the `h2` crate as the attacker:
//! a client opening and resetting 100,000 streams as fast as it can does not grow the server's
//! memory without bound, and other connections keep being served meanwhile; a client resetting
//! accepted streams faster than their calls finish gets its connection closed.
use std::time::{Duration, Instant};

use axum::{routing::get, Router};
use bytes::Bytes;
use oxtor_runtime::{server::ServerConfig, testing::TestApplication, Application};
use tokio::{net::TcpStream, time::timeout};

/// Streams the attacker opens and resets in all (over as many connections as it takes: the
/// server sends GOAWAY to a connection that resets too many streams).
const STREAMS: usize = 100_000;
/// Streams opened before each round of resets (below the server's 200 concurrent streams).
const BATCH: usize = 100;
/// The attack stops here even if unfinished (a busy CI machine).
const ATTACK_LIMIT: Duration = Duration::from_secs(60);

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// One attacking connection: opens and immediately resets streams until the server refuses
/// more (GOAWAY) or `budget` is spent. Returns how many it opened.
async fn attack_once(addr: std::net::SocketAddr, budget: usize) -> usize {
    let Ok(tcp) = TcpStream::connect(addr).await else {
        return 0;
    };
    let Ok((client, conn)) = h2::client::handshake(tcp).await else {
        return 0;
    };
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut opened = 0;
    let mut client = client;
    'attack: while opened < budget {
        // A batch of streams, flushed (a millisecond for the connection task to write them),
        // then reset: the server has started calls for them by then.
        let mut batch = Vec::with_capacity(BATCH);
        while batch.len() < BATCH.min(budget - opened) {
            client = match timeout(Duration::from_secs(2), client.ready()).await {
                Ok(Ok(ready)) => ready,
                _ => break 'attack,
            };
            let req = http::Request::get("/slow").body(()).expect("request");
            let Ok((_response, stream)) = client.send_request(req, true) else {
                break 'attack;
            };
            batch.push(stream);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        opened += batch.len();
        for mut stream in batch {
            stream.send_reset(h2::Reason::CANCEL);
        }
    }
    driver.abort();
    opened
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_reset_keeps_memory_bounded_and_others_served() {
    let mut app = Application::new(());
    app.routing(
        Router::new()
            .route("/hello", get(|| async { "Hello, World!" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Bytes::from_static(b"slow")
                }),
            ),
    )
    .expect("routes");
    let server = TestApplication::start_with(app, ServerConfig::local(0))
        .await
        .expect("server starts");
    let addr = server.addr();
    // Warm up allocator and runtime before measuring.
    server.get("/hello").await.expect("served");
    let rss_before = rss_kib();
    let started = Instant::now();
    let attack = tokio::spawn(async move {
        let mut opened = 0;
        let mut connections = 0;
        while opened < STREAMS && started.elapsed() < ATTACK_LIMIT {
            opened += attack_once(addr, STREAMS - opened).await;
            connections += 1;
        }
        (opened, connections)
    });
    let mut served = 0;
    let mut peak = rss_before;
    while !attack.is_finished() {
        let res = timeout(Duration::from_secs(5), server.get("/hello"))
            .await
            .expect("answered during the attack")
            .expect("served during the attack");
        assert_eq!(res.text().expect("text"), "Hello, World!");
        served += 1;
        peak = peak.max(rss_kib());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (opened, connections) = attack.await.expect("attack task");
    eprintln!(
        "rapid reset: {opened} streams over {connections} connections in {:?}; \
         {served} polite requests served; RSS {rss_before} KiB -> peak {peak} KiB",
        started.elapsed()
    );
    assert!(opened > 1_000, "the attack did not get going: {opened}");
    assert!(served > 0);
    assert!(
        peak < rss_before + 64 * 1024,
        "RSS grew from {rss_before} KiB to {peak} KiB"
    );
    // Still serving after the attack.
    assert_eq!(
        server
            .get("/hello")
            .await
            .expect("served")
            .text()
            .expect("text"),
        "Hello, World!"
    );
}

#[tokio::test]
async fn resetting_more_running_calls_than_the_stream_limit_closes_the_connection() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = calls.clone();
    let mut app = Application::new(());
    app.routing(Router::new().route(
        "/slow",
        get(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "slow"
            }
        }),
    ))
    .expect("routes");
    let config = ServerConfig {
        max_concurrent_streams: 10,
        ..ServerConfig::local(0)
    };
    let server = TestApplication::start_with(app, config)
        .await
        .expect("server starts");
    let tcp = TcpStream::connect(server.addr()).await.expect("connects");
    let (mut client, conn) = h2::client::handshake(tcp).await.expect("h2 handshake");
    let driver = tokio::spawn(conn);
    let mut rounds = 0;
    // Each round: 10 streams the server accepts (their calls start), then reset. The calls run
    // on; past 10 of them the connection is closed.
    'rounds: for _ in 0..5 {
        let mut streams = Vec::new();
        for _ in 0..10 {
            client = match timeout(Duration::from_secs(2), client.ready()).await {
                Ok(Ok(ready)) => ready,
                _ => break 'rounds,
            };
            let req = http::Request::get("/slow").body(()).expect("request");
            let Ok((_, stream)) = client.send_request(req, true) else {
                break 'rounds;
            };
            streams.push(stream);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        for mut stream in streams {
            stream.send_reset(h2::Reason::CANCEL);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        rounds += 1;
    }
    driver.abort();
    let started = calls.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        rounds < 5,
        "the connection stayed open through 5 rounds ({started} calls)"
    );
    assert!(started <= 30, "{started} calls started");
}
