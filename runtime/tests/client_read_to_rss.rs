//! `read_to` of a 1 GiB streamed response into a file: byte-exact, and the whole process (client,
//! server and test harness) stays under 32 MiB peak RSS. Its own test binary so that nothing else
//! runs in the process.
#![cfg(feature = "client")]

mod client_support;

use std::io::Read;

use axum::{body::Body, routing::get, Router};
use bytes::Bytes;
use client_support::{bounded, serve};
use futures_util::StreamExt;
use oxtor_runtime::client::HttpClient;

const CHUNK: usize = 64 * 1024;
const CHUNKS: u64 = 16 * 1024; // 1 GiB

/// Chunk `k` is `k` as 8 little-endian bytes followed by a fixed pseudo-random pattern, so a
/// lost, repeated or reordered chunk changes the file.
fn pattern() -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..CHUNK)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn chunk(k: u64, pattern: &[u8]) -> Vec<u8> {
    let mut c = pattern.to_vec();
    c[..8].copy_from_slice(&k.to_le_bytes());
    c
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(u64::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_to_streams_a_gibibyte_into_a_file_byte_exact_within_32_mib() {
    let router = Router::new().route(
        "/big",
        get(|| async {
            let pattern = pattern();
            let stream = futures_util::stream::iter(0..CHUNKS)
                .map(move |k| Ok::<_, std::io::Error>(Bytes::from(chunk(k, &pattern))));
            Body::from_stream(stream)
        }),
    );
    let server = serve("127.0.0.1", router, vec![]).await;
    let client = HttpClient::new().expect("client");
    let dir = std::env::temp_dir().join(format!("oxtor-read-to-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.bin");

    let written = bounded(600, async {
        let mut resp = client.get(&server.url("/big")).await.expect("response");
        let mut file = tokio::fs::File::create(&path).await.expect("create");
        let n = resp.read_to(&mut file).await.expect("read_to");
        file.sync_all().await.expect("sync");
        n
    })
    .await;
    let peak = peak_rss_kib();
    eprintln!("read_to: {written} bytes, peak RSS {peak} KiB");

    let pattern = pattern();
    let mut file = std::fs::File::open(&path).expect("open");
    let mut buf = vec![0u8; CHUNK];
    let mut exact = true;
    for k in 0..CHUNKS {
        if file.read_exact(&mut buf).is_err() || buf != chunk(k, &pattern) {
            exact = false;
            break;
        }
    }
    let trailing = file.read(&mut buf).unwrap_or(1);
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(written, CHUNKS * CHUNK as u64);
    assert!(
        exact && trailing == 0,
        "file content differs from what was sent"
    );
    assert!(peak <= 32 * 1024, "peak RSS {peak} KiB > 32 MiB");
}
