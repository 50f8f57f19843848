//! The issue's `install!(Compression { .. })` block, written as exactly what the macro desugars
//! to, installed through the facade and exercised over a real socket.
#![cfg(feature = "compression")]

use axum::{http::header, routing::get, Router};
use oxtor::{
    plugins::compression::{Compression, CompressionMode},
    testing::TestApplication,
    Application,
};

/// `install!(Compression { zstd { level = 3 } gzip { priority = 0.9  level = 6 }
/// deflate { priority = 1.0  minimum_size = 1024 } brotli { level = 4 } minimum_size = 200
/// match_content_type("text/*") exclude_content_type("text/vcard")
/// condition = |call| call.query_param("raw").is_none()  mode = CompressionMode::All })`
fn issue_block() -> Result<Compression, oxtor::ConfigError> {
    Compression::configure(|cfg| {
        cfg.zstd(|cfg| {
            cfg.level(3);
        });
        cfg.gzip(|cfg| {
            cfg.priority(0.9);
            cfg.level(6);
        });
        cfg.deflate(|cfg| {
            cfg.priority(1.0);
            cfg.minimum_size(1024);
        });
        cfg.brotli(|cfg| {
            cfg.level(4);
        });
        cfg.minimum_size(200);
        cfg.match_content_type("text/*");
        cfg.exclude_content_type("text/vcard");
        cfg.condition(|call| call.query_param("raw").is_none());
        cfg.mode(CompressionMode::All);
    })
}

async fn content_encoding(server: &TestApplication, path: &str, accept: &str) -> Option<String> {
    let stream = tokio::net::TcpStream::connect(server.addr()).await.ok()?;
    let (mut tx, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(conn);
    let req = http::Request::get(path)
        .header(header::HOST, "localhost")
        .header(header::ACCEPT_ENCODING, accept)
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .ok()?;
    let res = tokio::time::timeout(std::time::Duration::from_secs(10), tx.send_request(req))
        .await
        .ok()?
        .ok()?;
    res.headers()
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test]
async fn the_issue_block_installs_and_negotiates() {
    let mut app = Application::new(());
    app.install(issue_block()).expect("install");
    app.routing(
        Router::new()
            .route("/text", get(|| async { "x".repeat(500) }))
            .route(
                "/json",
                get(|| async {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        "1".repeat(500),
                    )
                }),
            ),
    )
    .expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    let got = |path, accept| content_encoding(&server, path, accept);
    assert_eq!(got("/text", "gzip, zstd").await.as_deref(), Some("zstd"));
    // deflate's own minimum_size (1024) falls through to the next candidate.
    assert_eq!(got("/text", "deflate, gzip").await.as_deref(), Some("gzip"));
    assert_eq!(got("/text?raw", "zstd").await, None);
    assert_eq!(got("/json", "zstd").await, None);
}

#[test]
fn a_zstd_level_of_40_is_rejected_with_the_key_path() {
    let err = Compression::configure(|cfg| {
        cfg.zstd(|cfg| {
            cfg.level(40);
        });
    })
    .expect_err("out of range");
    assert_eq!(
        err.to_string(),
        "Compression.zstd.level: 40 is not in 1..=22"
    );
    let err = Compression::configure(|cfg| {
        cfg.gzip(|_| {});
        cfg.gzip(|_| {});
    })
    .expect_err("duplicate");
    assert_eq!(
        err.to_string(),
        "Compression.gzip: encoder `gzip` is already registered"
    );
}
