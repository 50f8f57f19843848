//! Request-head limits over real sockets: a head over `max_request_head_size` or with more than
//! `max_header_count` lines is answered 431 (curl and a raw client), never a hang, and normal
//! requests on the same server are untouched.
use std::{process::Command, time::Duration};

use axum::{routing::get, Router};
use oxtor_runtime::{server::ServerConfig, testing::TestApplication, Application};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    time::timeout,
};

const LIMIT: Duration = Duration::from_secs(10);

async fn hello_server(config: ServerConfig) -> TestApplication {
    let mut app = Application::new(());
    app.routing(Router::new().route("/hello", get(|| async { "Hello, World!" })))
        .expect("routes");
    TestApplication::start_with(app, config)
        .await
        .expect("server starts")
}

/// curl's status code for `/hello` with `extra` curl arguments (curl runs off the runtime).
async fn curl_status(server: &TestApplication, extra: &[&str]) -> String {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
    ])
    .args(extra)
    .arg(server.url("/hello"));
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("curl's thread")
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A header too long for the command line, in a file curl reads (`-H @file`); removed on drop.
struct HeaderFile(std::path::PathBuf);

impl HeaderFile {
    fn new(name: &str, len: usize) -> Self {
        let path =
            std::env::temp_dir().join(format!("oxtor-hardening-{}-{name}.txt", std::process::id()));
        std::fs::write(&path, format!("X-Big: {}\n", "a".repeat(len))).expect("temp file");
        Self(path)
    }

    fn arg(&self) -> String {
        format!("@{}", self.0.display())
    }
}

impl Drop for HeaderFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn oversized_header_is_answered_431_by_default() {
    let server = hello_server(ServerConfig::local(0)).await;
    let big = HeaderFile::new("200k", 200 * 1024);
    assert_eq!(curl_status(&server, &["-H", &big.arg()]).await, "431");
    assert_eq!(curl_status(&server, &[]).await, "200");
}

#[tokio::test]
async fn header_within_the_limit_is_served() {
    let server = hello_server(ServerConfig::local(0)).await;
    let fits = format!("X-Fits: {}", "a".repeat(32 * 1024));
    assert_eq!(curl_status(&server, &["-H", &fits]).await, "200");
}

#[tokio::test]
async fn configured_head_size_limit_applies() {
    let config = ServerConfig {
        max_request_head_size: 16 * 1024,
        ..ServerConfig::local(0)
    };
    let server = hello_server(config).await;
    let big = format!("X-Big: {}", "a".repeat(20 * 1024));
    assert_eq!(curl_status(&server, &["-H", &big]).await, "431");
}

#[tokio::test]
async fn ten_thousand_header_lines_are_answered_431_not_a_hang() {
    let server = hello_server(ServerConfig::local(0)).await;
    let mut stream = server.connect().await.expect("connects");
    let mut head = String::from("GET /hello HTTP/1.1\r\nHost: x\r\n");
    for i in 0..10_000 {
        head.push_str(&format!("X-H{i}: v\r\n"));
    }
    head.push_str("\r\n");
    // The server may answer and close before it has read everything: a failed write is fine.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut buf = Vec::new();
    let read = timeout(LIMIT, stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "no answer within {LIMIT:?}");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.starts_with("HTTP/1.1 431"),
        "{}",
        &text[..text.len().min(200)]
    );
}

#[tokio::test]
async fn header_count_over_the_configured_limit_is_431() {
    let config = ServerConfig {
        max_header_count: 10,
        ..ServerConfig::local(0)
    };
    let server = hello_server(config).await;
    let many: Vec<String> = (0..12).map(|i| format!("X-H{i}: v")).collect();
    let args: Vec<&str> = many.iter().flat_map(|h| ["-H", h.as_str()]).collect();
    assert_eq!(curl_status(&server, &args).await, "431");
    assert_eq!(curl_status(&server, &args[..10]).await, "200");
}

#[tokio::test]
async fn oversized_h2c_header_list_is_refused_with_431() {
    let config = ServerConfig {
        max_request_head_size: 16 * 1024,
        ..ServerConfig::local(0)
    };
    let server = hello_server(config).await;
    let big = format!("X-Big: {}", "a".repeat(20 * 1024));
    assert_eq!(
        curl_status(&server, &["--http2-prior-knowledge", "-H", &big]).await,
        "431"
    );
    assert_eq!(
        curl_status(&server, &["--http2-prior-knowledge"]).await,
        "200"
    );
}
