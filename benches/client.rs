//! oxtor's client against reqwest (both on hyper) in one run against one local server:
//! requests/s at 1 and 64 concurrent requests, and `read_to` against `tokio::io::copy` over the
//! same response stream. `bench/client.sh` runs it and prints the ratios.
use std::time::Duration;

use axum::{body::Body, routing::get, Router};
use bytes::Bytes;
use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::StreamExt;
use oxtor::client::HttpClient;

const STREAM_CHUNK: usize = 64 * 1024;
const STREAM_CHUNKS: usize = 256; // 16 MiB per response

fn router() -> Router {
    let chunk = Bytes::from(vec![7u8; STREAM_CHUNK]);
    Router::new()
        .route("/hello", get(|| async { "Hello, world!" }))
        .route(
            "/stream",
            get(move || {
                let chunk = chunk.clone();
                async move {
                    let stream = futures_util::stream::iter(0..STREAM_CHUNKS)
                        .map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
                    Body::from_stream(stream)
                }
            }),
        )
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router()).await });
        addr
    });
    let hello = format!("http://{addr}/hello");
    let stream = format!("http://{addr}/stream");
    let oxtor = rt.block_on(async { HttpClient::new().expect("oxtor client") });
    let reqwest = reqwest::Client::builder().build().expect("reqwest client");

    let mut group = c.benchmark_group("requests");
    group.measurement_time(Duration::from_secs(5));
    for concurrency in [1usize, 64] {
        group.throughput(Throughput::Elements(concurrency as u64));
        group.bench_with_input(
            BenchmarkId::new("oxtor", concurrency),
            &concurrency,
            |b, &n| {
                b.to_async(&rt).iter(|| async {
                    let calls = (0..n).map(|_| oxtor.get(&hello).body::<Bytes>());
                    for r in futures_util::future::join_all(calls).await {
                        assert_eq!(r.expect("oxtor").len(), 13);
                    }
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("reqwest", concurrency),
            &concurrency,
            |b, &n| {
                b.to_async(&rt).iter(|| async {
                    let calls =
                        (0..n).map(|_| async { reqwest.get(&hello).send().await?.bytes().await });
                    for r in futures_util::future::join_all(calls).await {
                        assert_eq!(r.expect("reqwest").len(), 13);
                    }
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("stream");
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes((STREAM_CHUNK * STREAM_CHUNKS) as u64));
    group.bench_function("read_to", |b| {
        b.to_async(&rt).iter(|| async {
            let mut resp = oxtor.get(&stream).await.expect("response");
            let n = resp.read_to(&mut tokio::io::sink()).await.expect("read_to");
            assert_eq!(n as usize, STREAM_CHUNK * STREAM_CHUNKS);
        })
    });
    group.bench_function("tokio_io_copy", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = oxtor.get(&stream).await.expect("response");
            let mut body = resp.into_body();
            let n = tokio::io::copy(&mut body, &mut tokio::io::sink())
                .await
                .expect("copy");
            assert_eq!(n as usize, STREAM_CHUNK * STREAM_CHUNKS);
        })
    });
    group.finish();
}

/// Criterion's group and entry point.
mod entry {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(entry::benches);
