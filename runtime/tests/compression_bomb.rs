//! A zstd bomb (1 GiB of zeros in 32 KiB) POSTed to `/upload` gets 413, and the process's peak
//! RSS stays under 64 MiB. Its own test binary, so nothing else runs in the measured process.
#![cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;

use axum::{body::Bytes, extract::DefaultBodyLimit, routing::post, Router};
use compression_support::*;
use http::{Method, StatusCode};

/// Peak resident set size of this process, from /proc (Linux), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib * 1024
}

#[tokio::test]
async fn zstd_bomb_upload_is_413_with_bounded_memory() {
    const GIB: u64 = 1 << 30;
    let bomb = zstd_zeros_bomb(GIB, 21);
    assert!(bomb.len() < 40 * 1024, "bomb is {} bytes", bomb.len());
    // Axum's own 2 MiB limit is disabled, so the plugin's 8 MiB cap is what stops the body.
    let router = Router::new()
        .route(
            "/upload",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .layer(DefaultBodyLimit::disable());
    let server = serve(
        |cfg| {
            cfg.zstd(|_| {});
        },
        router,
    )
    .await;

    // Under the cap the same coding decodes fine.
    let small = zstd_zeros_bomb(1 << 20, 21);
    let req = server
        .request(Method::POST, "/upload")
        .header("content-encoding", "zstd")
        .body(small);
    let res = send(req).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, "1048576");

    let req = server
        .request(Method::POST, "/upload")
        .header("content-encoding", "zstd")
        .body(bomb);
    let res = send(req).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let peak = peak_rss();
    eprintln!(
        "peak RSS after the bomb: {:.1} MiB",
        peak as f64 / f64::from(1 << 20)
    );
    assert!(peak < 64 << 20, "peak RSS {} MiB", peak >> 20);
}
