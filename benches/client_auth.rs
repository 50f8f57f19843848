//! The client `Auth` plugin against the same client without it, in one run against one local
//! server: requests/s with a cached bearer token vs the header set by hand (the same bytes on the
//! wire), at 1 and 64 concurrent requests; and a burst of 100 requests against an expired token,
//! which must complete with exactly one refresh. `bench/client_auth.sh` runs it and prints the
//! ratios.
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use bytes::Bytes;
use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use oxtor::client::{
    plugins::auth::{Auth, BearerTokens},
    HttpClient,
};

const BURST: usize = 100;

/// The token the server accepts is `t<generation>`; `POST /token` hands out the current one.
#[derive(Clone, Default)]
struct Tokens {
    generation: Arc<AtomicUsize>,
}

impl Tokens {
    fn current(&self) -> String {
        format!("t{}", self.generation.load(Ordering::SeqCst))
    }
}

async fn hello(State(tokens): State<Tokens>, headers: HeaderMap) -> impl IntoResponse {
    let expected = format!("Bearer {}", tokens.current());
    match headers.get("authorization") {
        Some(v) if v.as_bytes() == expected.as_bytes() => {
            (StatusCode::OK, [("x", "y")], "Hello, world!").into_response()
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Bearer realm=\"bench\"")],
        )
            .into_response(),
    }
}

fn router(tokens: Tokens) -> Router {
    Router::new()
        .route("/hello", get(hello))
        .route(
            "/token",
            post(|State(t): State<Tokens>| async move { t.current() }),
        )
        .with_state(tokens)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let tokens = Tokens::default();
    let addr = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = router(tokens.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });
    let hello_url = format!("http://{addr}/hello");
    let token_url = format!("http://{addr}/token");
    let refreshes = Arc::new(AtomicUsize::new(0));

    let (with_auth, without_auth) = rt.block_on(async {
        let counter = refreshes.clone();
        let with_auth = HttpClient::configure(move |cfg| {
            let (counter, token_url) = (counter.clone(), token_url.clone());
            cfg.install(Auth, move |auth| {
                let (counter, token_url) = (counter.clone(), token_url.clone());
                auth.bearer(move |b| {
                    b.load_tokens(|| async { Some(BearerTokens::access("t0")) });
                    b.refresh_tokens(move |params| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let token_url = token_url.clone();
                        async move {
                            let fresh = params
                                .client
                                .post(&token_url)
                                .mark_as_refresh_token_request()
                                .body::<String>()
                                .await?;
                            Ok::<_, oxtor::client::ClientError>(Some(BearerTokens::access(fresh)))
                        }
                    });
                });
            });
        })
        .expect("client with Auth");
        (with_auth, HttpClient::new().expect("client without Auth"))
    });

    let mut group = c.benchmark_group("auth");
    group.measurement_time(Duration::from_secs(5));
    for concurrency in [1usize, 64] {
        group.throughput(Throughput::Elements(concurrency as u64));
        group.bench_with_input(
            BenchmarkId::new("bearer_cached", concurrency),
            &concurrency,
            |b, &n| {
                b.to_async(&rt).iter(|| async {
                    let calls = (0..n).map(|_| with_auth.get(&hello_url).body::<Bytes>());
                    for r in futures_util::future::join_all(calls).await {
                        assert_eq!(r.expect("with Auth").len(), 13);
                    }
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("no_auth", concurrency),
            &concurrency,
            |b, &n| {
                b.to_async(&rt).iter(|| async {
                    let header = format!("Bearer {}", tokens.current());
                    let calls = (0..n).map(|_| {
                        without_auth
                            .get(&hello_url)
                            .header("authorization", &header)
                            .body::<Bytes>()
                    });
                    for r in futures_util::future::join_all(calls).await {
                        assert_eq!(r.expect("without Auth").len(), 13);
                    }
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("burst");
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(BURST as u64));
    group.bench_function("expired_token_100", |b| {
        b.to_async(&rt).iter(|| async {
            // Expire the token, then send the burst: one refresh, every request succeeds.
            tokens.generation.fetch_add(1, Ordering::SeqCst);
            let before = refreshes.load(Ordering::SeqCst);
            let calls = (0..BURST).map(|_| with_auth.get(&hello_url).body::<Bytes>());
            for r in futures_util::future::join_all(calls).await {
                assert_eq!(r.expect("burst").len(), 13);
            }
            assert_eq!(
                refreshes.load(Ordering::SeqCst) - before,
                1,
                "one refresh per burst"
            );
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
