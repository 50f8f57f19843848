//! A 1 GiB streamed response collected with `body::<Bytes>()` under the default limit (64 MiB):
//! the call fails with the limit error, and the whole process stays far below the body's size.
//! Its own test binary so that nothing else runs in the process.
#![cfg(feature = "client")]

mod client_support;

use axum::{body::Body, routing::get, Router};
use bytes::Bytes;
use client_support::{bounded, serve};
use futures_util::StreamExt;
use oxtor_runtime::client::{body::DEFAULT_MAX_BODY_SIZE, ClientError, HttpClient};

const CHUNK: usize = 64 * 1024;
const CHUNKS: usize = 16 * 1024; // 1 GiB

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(u64::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gibibyte_body_fails_at_the_default_limit_with_bounded_memory() {
    let router = Router::new().route(
        "/big",
        get(|| async {
            let chunk = Bytes::from(vec![7u8; CHUNK]);
            let stream = futures_util::stream::iter(0..CHUNKS)
                .map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
            Body::from_stream(stream)
        }),
    );
    let server = serve("127.0.0.1", router, vec![]).await;
    let client = HttpClient::new().expect("client");

    let result = bounded(120, client.get(&server.url("/big")).body::<Bytes>()).await;
    let peak = peak_rss_kib();
    eprintln!("peak RSS {peak} KiB");

    assert!(
        matches!(result, Err(ClientError::BodyTooLarge { limit }) if limit == DEFAULT_MAX_BODY_SIZE),
        "{result:?}"
    );
    assert_eq!(DEFAULT_MAX_BODY_SIZE, 64 * 1024 * 1024);
    // The limit plus the collecting buffer's growth, nowhere near the 1 GiB sent.
    assert!(peak <= 128 * 1024, "peak RSS {peak} KiB > 128 MiB");
}
