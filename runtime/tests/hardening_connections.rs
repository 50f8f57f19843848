//! Connection floods over real sockets: at `max_connections` accepting waits (and resumes when
//! one closes); out of file descriptors (`ulimit -n 256`, 400 connections at once) the server
//! stays up without spinning a core and serves again once they close.
use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use axum::{routing::get, Router};
use oxtor_runtime::{
    server::{Server, ServerConfig},
    testing::TestApplication,
    Application,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::{sleep, timeout},
};

const LIMIT: Duration = Duration::from_secs(10);
const HELLO: &[u8] = b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

fn hello_app() -> Application {
    let mut app = Application::new(());
    app.routing(Router::new().route("/hello", get(|| async { "Hello, World!" })))
        .expect("routes");
    app
}

/// Sends `/hello` on `s` and reads the answer (with `limit`); `None` if none came in time.
async fn hello_on(s: &mut TcpStream, limit: Duration) -> Option<String> {
    s.write_all(HELLO).await.ok()?;
    let mut buf = Vec::new();
    timeout(limit, s.read_to_end(&mut buf)).await.ok()?.ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

#[tokio::test]
async fn accept_waits_at_max_connections_and_resumes_when_one_closes() {
    let config = ServerConfig {
        max_connections: 2,
        ..ServerConfig::local(0)
    };
    let server = TestApplication::start_with(hello_app(), config)
        .await
        .expect("server starts");
    let first = server.connect().await.expect("connects");
    let mut second = server.connect().await.expect("connects");
    // The third waits in the listen backlog: no answer while two are open.
    let mut third = server.connect().await.expect("connects (backlog)");
    third.write_all(HELLO).await.expect("writes");
    let mut buf = [0u8; 64];
    let early = timeout(Duration::from_millis(500), third.read(&mut buf)).await;
    assert!(early.is_err(), "answered over the connection cap");
    drop(first);
    let mut rest = Vec::new();
    timeout(LIMIT, third.read_to_end(&mut rest))
        .await
        .expect("answered once a connection closed")
        .expect("reads");
    assert!(rest.starts_with(b"HTTP/1.1 200"));
    let answer = hello_on(&mut second, LIMIT).await.expect("answered");
    assert!(answer.ends_with("Hello, World!"), "{answer}");
}

/// Entry point of the child process of `fd_exhaustion_neither_spins_nor_stops_the_server`:
/// serves `/hello` and prints its port, until killed. Run any other way it refuses.
#[tokio::test]
#[ignore = "child process of fd_exhaustion_neither_spins_nor_stops_the_server"]
async fn fd_exhaustion_child_server() {
    assert!(
        std::env::var_os("OXTOR_FD_CHILD").is_some(),
        "runs only as the child of fd_exhaustion_neither_spins_nor_stops_the_server"
    );
    let running = Server::new(hello_app(), ServerConfig::local(0))
        .start()
        .await
        .expect("server starts");
    println!("PORT={}", running.local_addr().port());
    sleep(Duration::from_secs(120)).await;
}

/// The child server; killed and reaped on drop.
struct ChildServer(Child);

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// User + system CPU time of process `pid`, in clock ticks (from `/proc/<pid>/stat`).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("child alive");
    // Fields after the command name (which is in parentheses): utime is the 14th field.
    let after = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

#[tokio::test]
async fn fd_exhaustion_neither_spins_nor_stops_the_server() {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 256 && exec '{}' --ignored --exact fd_exhaustion_child_server --nocapture --test-threads=1",
            exe.display()
        ))
        .env("OXTOR_FD_CHILD", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("stdout");
    let child = ChildServer(child);
    let pid = child.0.id();
    let port = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split("PORT=")
                    .nth(1)
                    .and_then(|p| p.trim().parse().ok())
            })
    })
    .await
    .expect("reader thread")
    .expect("child printed its port");
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    // 400 connections at once, more than the child has descriptors.
    let mut flood = Vec::with_capacity(400);
    for _ in 0..400 {
        flood.push(TcpStream::connect(addr).await.expect("connects (backlog)"));
    }
    sleep(Duration::from_millis(500)).await;
    let before = cpu_ticks(pid);
    sleep(Duration::from_secs(2)).await;
    let spent = cpu_ticks(pid) - before;
    // A spinning accept loop would burn ~200 ticks (2 s); backing off costs a few.
    assert!(
        spent < 40,
        "the flooded server used {spent} ticks of CPU in 2 s"
    );

    drop(flood);
    let mut served = None;
    for _ in 0..20 {
        if let Ok(mut s) = TcpStream::connect(addr).await {
            served = hello_on(&mut s, Duration::from_secs(2)).await;
            if served.is_some() {
                break;
            }
        }
        sleep(Duration::from_millis(200)).await;
    }
    let served = served.expect("served once the flood closed");
    assert!(served.ends_with("Hello, World!"), "{served}");
}
