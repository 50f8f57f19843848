//! The engine over real sockets: HTTP/1.1 and h2c on one port, half-close, calls that outlive
//! their client, the disconnect signal, hooks, upgrades, graceful shutdown and SIGTERM.
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Extension, Request},
    response::Response,
    routing::{get, post},
    Router,
};
use oxtor_runtime::{
    server::{ClientDisconnect, ConnectionInfo, Server, ServerConfig, WrappedStream},
    testing::TestApplication,
    Application,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::mpsc,
    time::timeout,
};

const LIMIT: Duration = Duration::from_secs(10);

fn app(router: Router) -> Application {
    let mut app = Application::new(());
    app.routing(router).expect("routes");
    app
}

/// Reads until EOF (or the limit) and returns what came as text.
async fn read_all(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = timeout(LIMIT, stream.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn serves_http1_and_h2c_on_one_port() {
    let server = TestApplication::start(app(Router::new().route("/", get(|| async { "hi" }))))
        .await
        .unwrap();
    let h1 = server.get("/").await.unwrap();
    let req = http::Request::get("/").body(Body::empty()).unwrap();
    let h2 = server.send_h2c(req).await.unwrap();
    assert_eq!(
        (h1.version(), h1.text().unwrap().as_str()),
        (http::Version::HTTP_11, "hi")
    );
    assert_eq!(
        (h2.version(), h2.text().unwrap().as_str()),
        (http::Version::HTTP_2, "hi")
    );
}

#[tokio::test]
async fn half_closing_client_gets_its_response() {
    let slow = || async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        "done"
    };
    let server = TestApplication::start(app(Router::new().route("/slow", get(slow))))
        .await
        .unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    s.shutdown().await.unwrap();
    let text = read_all(&mut s).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("done"), "{text}");
}

#[tokio::test]
async fn http10_request_completes() {
    let server = TestApplication::start(app(Router::new().route("/", get(|| async { "old" }))))
        .await
        .unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    let text = read_all(&mut s).await;
    assert!(text.starts_with("HTTP/1.0 200 OK"), "{text}");
    assert!(text.ends_with("old"), "{text}");
}

#[tokio::test]
async fn call_runs_to_completion_after_client_disconnects() {
    let (tx, mut rx) = mpsc::unbounded_channel::<&'static str>();
    let handler = move || {
        let tx = tx.clone();
        async move {
            let _ = tx.send("started");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = tx.send("finished");
            "done"
        }
    };
    let server = TestApplication::start(app(Router::new().route("/work", get(handler))))
        .await
        .unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /work HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(timeout(LIMIT, rx.recv()).await.unwrap(), Some("started"));
    drop(s);
    assert_eq!(timeout(LIMIT, rx.recv()).await.unwrap(), Some("finished"));
}

#[tokio::test]
async fn reset_client_does_not_cancel_the_call() {
    let (tx, mut rx) = mpsc::unbounded_channel::<&'static str>();
    let handler = move || {
        let tx = tx.clone();
        async move {
            let _ = tx.send("started");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = tx.send("finished");
            "done"
        }
    };
    let server = TestApplication::start(app(Router::new().route("/work", get(handler))))
        .await
        .unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /work HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(timeout(LIMIT, rx.recv()).await.unwrap(), Some("started"));
    close_with_reset(s);
    assert_eq!(timeout(LIMIT, rx.recv()).await.unwrap(), Some("finished"));
}

/// Closes `s` with an RST: SO_LINGER 0 makes close() reset (and never block).
#[allow(deprecated)]
pub(crate) fn close_with_reset(s: TcpStream) {
    let _ = s.set_linger(Some(Duration::ZERO));
    drop(s);
}

#[tokio::test]
async fn h2_stream_reset_does_not_cancel_the_call_but_signals_it() {
    let (tx, mut rx) = mpsc::unbounded_channel::<&'static str>();
    let handler = move |Extension(gone): Extension<ClientDisconnect>| {
        let tx = tx.clone();
        async move {
            let _ = tx.send("started");
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = tx.send(if gone.is_disconnected() {
                "finished, client gone"
            } else {
                "finished"
            });
            "done"
        }
    };
    let server = TestApplication::start(app(Router::new().route("/work", get(handler))))
        .await
        .unwrap();
    let s = server.connect().await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(s),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let req = http::Request::get(server.url("/work"))
        .body(Body::empty())
        .unwrap();
    let pending = tokio::spawn(sender.send_request(req));
    assert_eq!(timeout(LIMIT, rx.recv()).await.unwrap(), Some("started"));
    pending.abort(); // RST_STREAM: hyper drops the service future
    assert_eq!(
        timeout(LIMIT, rx.recv()).await.unwrap(),
        Some("finished, client gone")
    );
}

#[tokio::test]
async fn disconnect_signal_fires_while_request_body_is_unread() {
    let (tx, mut rx) = mpsc::unbounded_channel::<Duration>();
    let handler = move |Extension(gone): Extension<ClientDisconnect>| {
        let tx = tx.clone();
        async move {
            let t0 = Instant::now();
            // Never reads the body.
            if timeout(LIMIT, gone.disconnected()).await.is_ok() {
                let _ = tx.send(t0.elapsed());
            }
            "done"
        }
    };
    let server = TestApplication::start(app(Router::new().route("/upload", post(handler))))
        .await
        .unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(s);
    let waited = timeout(LIMIT, rx.recv()).await.unwrap().unwrap();
    assert!(waited < Duration::from_secs(2), "noticed after {waited:?}");
}

#[tokio::test]
async fn disconnect_signal_stays_quiet_for_a_connected_client() {
    let handler = |Extension(gone): Extension<ClientDisconnect>| async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if gone.is_disconnected() {
            "gone"
        } else {
            "here"
        }
    };
    let server = TestApplication::start(app(Router::new().route("/", get(handler))))
        .await
        .unwrap();
    assert_eq!(server.get_text("/").await.unwrap(), "here");
}

#[tokio::test]
async fn requests_carry_connection_info() {
    let handler = |ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, conn: ConnectionInfo| async move {
        format!("{} {}", peer == conn.peer_addr, conn.local_addr.ip())
    };
    let server = TestApplication::start(app(Router::new().route("/", get(handler))))
        .await
        .unwrap();
    assert_eq!(server.get_text("/").await.unwrap(), "true 127.0.0.1");
}

#[tokio::test]
async fn connection_hooks_see_open_and_close() {
    let opened = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let mut a = app(Router::new().route("/", get(|| async { "hi" })));
    let (o, c) = (opened.clone(), closed.clone());
    a.engine_hooks()
        .on_connection(move |info| {
            assert!(info.peer_addr.ip().is_loopback());
            o.fetch_add(1, Ordering::SeqCst);
        })
        .on_connection_closed(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        });
    let server = TestApplication::start(a).await.unwrap();
    server.get_text("/").await.unwrap();
    server.get_text("/").await.unwrap();
    let deadline = Instant::now() + LIMIT;
    while closed.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    assert_eq!(closed.load(Ordering::SeqCst), 2);
}

#[derive(Clone, Debug)]
struct Wrapped(&'static str);

#[tokio::test]
async fn stream_wrapper_serves_through_its_stream_and_adds_extensions() {
    let handler = |Extension(w): Extension<Wrapped>| async move { w.0 };
    let mut a = app(Router::new().route("/", get(handler)));
    a.engine_hooks()
        .wrap_stream(|io, _conn: &ConnectionInfo| async move {
            let mut wrapped = WrappedStream {
                io,
                extensions: http::Extensions::new(),
            };
            wrapped.extensions.insert(Wrapped("wrapped"));
            Ok(wrapped)
        })
        .unwrap();
    let second = a
        .engine_hooks()
        .wrap_stream(|io, _: &ConnectionInfo| async move {
            Ok(WrappedStream {
                io,
                extensions: Default::default(),
            })
        })
        .map(|_| ());
    assert!(
        matches!(second, Err(oxtor_runtime::Error::StreamWrapperInstalled)),
        "{second:?}"
    );
    let server = TestApplication::start(a).await.unwrap();
    assert_eq!(server.get_text("/").await.unwrap(), "wrapped");
}

#[tokio::test]
async fn http1_upgrade_hands_over_the_connection() {
    let upgrade = |mut req: Request| async move {
        let on_upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            if let Ok(upgraded) = on_upgrade.await {
                let mut io = hyper_util::rt::TokioIo::new(upgraded);
                let mut buf = [0u8; 4];
                if io.read_exact(&mut buf).await.is_ok() {
                    let _ = io.write_all(&buf).await;
                }
            }
        });
        Response::builder()
            .status(101)
            .header("connection", "upgrade")
            .header("upgrade", "echo")
            .body(Body::empty())
            .unwrap()
    };
    let server = TestApplication::start(app(Router::new().route("/echo", get(upgrade))))
        .await
        .unwrap();
    let mut s = server.connect().await.unwrap();
    s.write_all(b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut head = vec![0u8; 1024];
    let n = timeout(LIMIT, s.read(&mut head)).await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 101"));
    s.write_all(b"ping").await.unwrap();
    let mut echo = [0u8; 4];
    timeout(LIMIT, s.read_exact(&mut echo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&echo, b"ping");
}

fn slow_app(ms: u64) -> Application {
    app(Router::new().route(
        "/slow",
        get(move || async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            "finished"
        }),
    ))
}

#[tokio::test]
async fn graceful_shutdown_lets_in_flight_call_finish_and_stops_accepting() {
    let running = Server::new(slow_app(400), ServerConfig::local(0))
        .start()
        .await
        .unwrap();
    let addr = running.local_addr();
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    let stop = tokio::spawn(running.shutdown());
    let text = read_all(&mut s).await;
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("finished"),
        "{text}"
    );
    timeout(LIMIT, stop).await.unwrap().unwrap().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}

#[tokio::test]
async fn grace_period_over_closes_remaining_connections() {
    let config = ServerConfig::local(0).with_shutdown_grace_period(Duration::from_millis(200));
    let running = Server::new(slow_app(30_000), config).start().await.unwrap();
    let mut s = TcpStream::connect(running.local_addr()).await.unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    timeout(LIMIT, running.shutdown()).await.unwrap().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t0.elapsed()
    );
    assert_eq!(
        read_all(&mut s).await,
        "",
        "no response after the grace period"
    );
}

#[tokio::test]
async fn graceful_shutdown_closes_idle_keep_alive_connections() {
    let running = Server::new(slow_app(0), ServerConfig::local(0))
        .start()
        .await
        .unwrap();
    let mut s = TcpStream::connect(running.local_addr()).await.unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let _ = timeout(LIMIT, s.read(&mut buf)).await.unwrap().unwrap();
    let t0 = Instant::now();
    timeout(LIMIT, running.shutdown()).await.unwrap().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t0.elapsed()
    );
}

/// The child process of `sigterm_lets_a_slow_request_finish_then_exits_zero`, which runs it
/// with `--ignored --exact`: serves `/slow` until SIGTERM, printing its port first. Run any other
/// way (`--include-ignored`) it would serve forever, so it refuses.
#[tokio::test]
#[ignore = "child process of sigterm_lets_a_slow_request_finish_then_exits_zero"]
async fn sigterm_child_server() {
    assert!(
        std::env::var_os("OXTOR_SIGTERM_CHILD").is_some(),
        "runs only as the child of sigterm_lets_a_slow_request_finish_then_exits_zero"
    );
    let running_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    println!("PORT={running_port}");
    Server::new(slow_app(1_000), ServerConfig::local(running_port))
        .run()
        .await
        .unwrap();
}

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_then_exits_zero() {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "sigterm_child_server",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("OXTOR_SIGTERM_CHILD", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Reads the child's output to its end (a closed pipe would fail the child's printing).
    let (port_tx, port_rx) = std::sync::mpsc::channel::<u16>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(p) = line
                .split("PORT=")
                .nth(1)
                .and_then(|p| p.trim().parse().ok())
            {
                let _ = port_tx.send(p);
            }
        }
    });
    let port = tokio::task::spawn_blocking(move || port_rx.recv_timeout(LIMIT))
        .await
        .unwrap()
        .expect("child printed its port");
    let mut s = None;
    for _ in 0..200 {
        if let Ok(c) = TcpStream::connect(("127.0.0.1", port)).await {
            s = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut s = s.expect("child listens");
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let text = read_all(&mut s).await;
    assert!(
        text.starts_with("HTTP/1.1 200 OK") && text.ends_with("finished"),
        "{text}"
    );
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "child exited with {status}");
}

#[tokio::test]
async fn test_client_reuses_one_keep_alive_connection() {
    let opened = Arc::new(AtomicUsize::new(0));
    let mut a = app(Router::new().route("/", get(|| async { "hi" })));
    let o = opened.clone();
    a.engine_hooks().on_connection(move |_| {
        o.fetch_add(1, Ordering::SeqCst);
    });
    let server = TestApplication::start(a).await.unwrap();
    let client = server.client();
    for _ in 0..3 {
        let res = client
            .request(
                http::Request::get(server.url("/"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap();
        assert_eq!(&body.to_bytes()[..], b"hi");
    }
    assert_eq!(opened.load(Ordering::SeqCst), 1);
}
