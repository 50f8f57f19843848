//! Compression benchmarks, every figure against a baseline in the same run:
//! - `zstd3/{json,html}`: oxtor's zstd-3 response path (the `CompressionLayer` service and body)
//!   vs raw `zstd::bulk::compress` at level 3 (the codec limit) vs tower-http's
//!   `CompressionLayer` with zstd at the same level, on 1 MiB payloads;
//! - `excluded_png`: requests/s through an axum app serving `image/png`, with the layer vs
//!   without it, in process (`oneshot`, the layer's whole cost exposed) and over a socket to the
//!   engine (`excluded_png_socket`, what a client sees).
//!
//! Output sizes are printed against `zstd -3` of the same bytes (target: within 1 %).
//! Run: `cargo bench --bench compression`.
use std::{convert::Infallible, time::Duration};

use axum::{body::Body, routing::get, Router};
use bytes::Bytes;
use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use http::{header, Request, Response};
use http_body_util::{BodyExt, Full};
use oxtor::plugins::compression::Compression;
use tower::{Layer, Service, ServiceExt};

const MIB: usize = 1 << 20;

/// A small deterministic PRNG, so payloads vary like real data but are the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn word(&mut self) -> &'static str {
        const WORDS: [&str; 16] = [
            "kotlin", "action", "rust", "tokio", "server", "plugin", "zstd", "stream", "book",
            "author", "title", "chapter", "async", "layer", "route", "html",
        ];
        WORDS[(self.next() % 16) as usize]
    }
}

fn json_payload() -> Bytes {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut s = String::from("[");
    let mut i = 0u64;
    while s.len() < MIB - 200 {
        s.push_str(&format!(
            "{{\"id\":{i},\"title\":\"{} {}\",\"author\":\"{} {}\",\"year\":{},\"price\":{}.{:02},\"isbn\":\"{:013}\"}},",
            rng.word(), rng.word(), rng.word(), rng.word(),
            1900 + rng.next() % 125, rng.next() % 100, rng.next() % 100, rng.next() % 10_000_000_000_000,
        ));
        i += 1;
    }
    s.pop();
    s.push(']');
    Bytes::from(s)
}

fn html_payload() -> Bytes {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut s = String::from("<!doctype html><html><head><title>Books</title></head><body><table>");
    let mut i = 0u64;
    while s.len() < MIB - 200 {
        s.push_str(&format!(
            "<tr class=\"row-{}\"><td><a href=\"/books/{i}\">{} {} {}</a></td><td>{}</td><td>{}</td></tr>\n",
            i % 2, rng.word(), rng.word(), rng.word(), rng.word(), rng.next() % 1000,
        ));
        i += 1;
    }
    s.push_str("</table></body></html>");
    Bytes::from(s)
}

type Ready = std::future::Ready<Result<Response<Full<Bytes>>, Infallible>>;

/// The inner service of both layers: the payload with its content type.
fn payload_service(
    body: Bytes,
    content_type: &'static str,
) -> impl Service<Request<Body>, Response = Response<Full<Bytes>>, Error = Infallible, Future = Ready>
       + Clone {
    tower::service_fn(move |_req: Request<Body>| {
        std::future::ready(Ok(Response::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(Full::new(body.clone()))
            .unwrap_or_default()))
    })
}

fn request(accept: &str) -> Request<Body> {
    Request::get("/")
        .header(header::ACCEPT_ENCODING, accept)
        .body(Body::empty())
        .unwrap_or_default()
}

/// Sends one request through `svc` and returns the whole (encoded) body.
async fn run<S, B>(svc: S, accept: &str) -> Bytes
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let res = svc.oneshot(request(accept)).await.expect("response");
    res.into_body().collect().await.expect("body").to_bytes()
}

fn zstd_cli_len(data: &[u8]) -> Option<usize> {
    use std::io::Write;
    let mut child = std::process::Command::new("zstd")
        .args(["-3", "-c", "-q"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(data).ok()?;
    Some(child.wait_with_output().ok()?.stdout.len())
}

fn zstd3(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let oxtor_layer = Compression::configure(|cfg| {
        cfg.zstd(|cfg| {
            cfg.level(3);
        });
    })
    .expect("config")
    .into_layer();
    let tower_layer = tower_http::compression::CompressionLayer::new()
        .no_gzip()
        .no_br()
        .no_deflate()
        .zstd(true)
        .quality(tower_http::compression::CompressionLevel::Precise(3));

    let mut group = c.benchmark_group("zstd3");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4));
    let small = json_payload().slice(..2048);
    for (name, payload, ct) in [
        ("json", json_payload(), "application/json"),
        ("html", html_payload(), "text/html; charset=utf-8"),
        ("json_2k", small, "application/json"),
    ] {
        let oxtor_svc = oxtor_layer.layer(payload_service(payload.clone(), ct));
        let tower_svc = tower_layer.layer(payload_service(payload.clone(), ct));

        let ours = rt.block_on(run(oxtor_svc.clone(), "zstd"));
        let theirs = rt.block_on(run(tower_svc.clone(), "zstd"));
        let raw = zstd::bulk::compress(&payload, 3).expect("zstd");
        assert_eq!(zstd::stream::decode_all(&ours[..]).expect("valid"), payload);
        let cli = zstd_cli_len(&payload).unwrap_or(raw.len());
        eprintln!(
            "size {name}: input {} B, oxtor {} B, tower-http {} B, zstd -3 {} B, bulk {} B; oxtor/zstd-3 = {:.4}",
            payload.len(), ours.len(), theirs.len(), cli, raw.len(), ours.len() as f64 / cli as f64,
        );

        group.throughput(Throughput::Bytes(payload.len() as u64));
        group.bench_with_input(BenchmarkId::new("zstd_bulk", name), &payload, |b, p| {
            b.iter(|| zstd::bulk::compress(p, 3).expect("zstd"))
        });
        group.bench_function(BenchmarkId::new("oxtor", name), |b| {
            b.to_async(&rt).iter(|| run(oxtor_svc.clone(), "zstd"))
        });
        group.bench_function(BenchmarkId::new("tower_http", name), |b| {
            b.to_async(&rt).iter(|| run(tower_svc.clone(), "zstd"))
        });
    }
    group.finish();
}

/// Which layer wraps the png app.
#[derive(Clone, Copy)]
enum Wrap {
    None,
    /// A pass-through `map_response`: what any `app.layer(..)` costs in axum.
    Noop,
    Compression,
}

async fn pass_through(res: axum::response::Response) -> axum::response::Response {
    res
}

/// The PNG app as the engine serves it: its `AppService` (with layers, `into_router()` would add a
/// router level around it that the engine does not have).
fn png_app(wrap: Wrap) -> oxtor::app::AppService {
    let png = Bytes::from(vec![0x89u8; 16 * 1024]);
    let mut app = oxtor::Application::new(());
    if let Wrap::Noop = wrap {
        app.layer(axum::middleware::map_response(pass_through));
    }
    if let Wrap::Compression = wrap {
        app.install(Compression::configure(|cfg| {
            cfg.zstd(|_| {}).gzip(|_| {}).deflate(|_| {}).brotli(|_| {});
        }))
        .expect("install");
    }
    app.routing(Router::new().route(
        "/",
        get(move || {
            let png = png.clone();
            async move { ([(header::CONTENT_TYPE, "image/png")], png) }
        }),
    ))
    .expect("routes");
    app.into_service()
}

fn excluded_png(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("excluded_png");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Elements(1));
    for (name, wrap) in [
        ("without_layer", Wrap::None),
        ("noop_layer", Wrap::Noop),
        ("with_layer", Wrap::Compression),
    ] {
        let app = png_app(wrap);
        let res = rt
            .block_on(app.clone().oneshot(request("zstd, br, gzip, deflate")))
            .expect("ok");
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
        group.bench_function(name, |b| {
            b.to_async(&rt)
                .iter(|| run(app.clone(), "zstd, br, gzip, deflate"))
        });
    }
    group.finish();
}

/// Median of `samples`.
fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs the contenders in turn, `rounds` times, rotating who goes first, so that a machine whose
/// load changes during the run slows all of them alike; returns each one's median time.
fn interleaved(rounds: usize, contenders: &mut [&mut dyn FnMut()]) -> Vec<Duration> {
    let n = contenders.len();
    let mut samples = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (round + k) % n;
            let start = std::time::Instant::now();
            (contenders[i])();
            samples[i].push(start.elapsed());
        }
    }
    samples.iter_mut().map(|s| median(s)).collect()
}

/// The figures the issue asks for, as ratios of interleaved medians (robust on a shared machine).
fn ratios() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let oxtor_layer = Compression::configure(|cfg| {
        cfg.zstd(|cfg| {
            cfg.level(3);
        });
    })
    .expect("config")
    .into_layer();
    let tower_layer = tower_http::compression::CompressionLayer::new()
        .no_gzip()
        .no_br()
        .no_deflate()
        .zstd(true)
        .quality(tower_http::compression::CompressionLevel::Precise(3));
    for (name, payload, ct) in [
        ("json", json_payload(), "application/json"),
        ("html", html_payload(), "text/html; charset=utf-8"),
        ("json_2k", json_payload().slice(..2048), "application/json"),
    ] {
        let oxtor_svc = oxtor_layer.layer(payload_service(payload.clone(), ct));
        let tower_svc = tower_layer.layer(payload_service(payload.clone(), ct));
        let reps = if payload.len() > 4096 { 1 } else { 200 };
        let m = interleaved(
            60,
            &mut [
                &mut || {
                    for _ in 0..reps {
                        criterion::black_box(zstd::bulk::compress(&payload, 3).expect("zstd"));
                    }
                },
                &mut || {
                    for _ in 0..reps {
                        criterion::black_box(rt.block_on(run(oxtor_svc.clone(), "zstd")));
                    }
                },
                &mut || {
                    for _ in 0..reps {
                        criterion::black_box(rt.block_on(run(tower_svc.clone(), "zstd")));
                    }
                },
            ],
        );
        let mbps = |d: Duration| (payload.len() * reps) as f64 / d.as_secs_f64() / 1e6;
        eprintln!(
            "ratio {name}: oxtor {:.0} MB/s, zstd::bulk {:.0} MB/s, tower-http {:.0} MB/s; oxtor/bulk = {:.3}x, oxtor/tower-http = {:.3}x",
            mbps(m[1]), mbps(m[0]), mbps(m[2]), m[0].as_secs_f64() / m[1].as_secs_f64(), m[2].as_secs_f64() / m[1].as_secs_f64(),
        );
    }
    let apps = [
        png_app(Wrap::None),
        png_app(Wrap::Noop),
        png_app(Wrap::Compression),
    ];
    let batch = |app: &oxtor::app::AppService| {
        for _ in 0..200 {
            criterion::black_box(rt.block_on(run(app.clone(), "zstd, br, gzip, deflate")));
        }
    };
    let m = interleaved(
        200,
        &mut [
            &mut || batch(&apps[0]),
            &mut || batch(&apps[1]),
            &mut || batch(&apps[2]),
        ],
    );
    eprintln!(
        "ratio excluded_png (in process): req/s with layer / without = {:.3}x, with / no-op layer = {:.3}x",
        m[0].as_secs_f64() / m[2].as_secs_f64(),
        m[1].as_secs_f64() / m[2].as_secs_f64(),
    );
}

/// Requests/s over a socket to the engine, with vs without the layer, interleaved.
fn socket_ratio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut clients = Vec::new();
    let mut servers = Vec::new();
    for with_layer in [false, true] {
        let (server, sender) = rt.block_on(async {
            let mut app = oxtor::Application::new(());
            if with_layer {
                app.install(Compression::configure(|cfg| {
                    cfg.zstd(|_| {}).gzip(|_| {}).deflate(|_| {}).brotli(|_| {});
                }))
                .expect("install");
            }
            let png = Bytes::from(vec![0x89u8; 16 * 1024]);
            app.routing(Router::new().route(
                "/",
                get(move || {
                    let png = png.clone();
                    async move { ([(header::CONTENT_TYPE, "image/png")], png) }
                }),
            ))
            .expect("routes");
            let server = oxtor::testing::TestApplication::start(app)
                .await
                .expect("start");
            let stream = tokio::net::TcpStream::connect(server.addr())
                .await
                .expect("connect");
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(conn);
            (server, sender)
        });
        servers.push(server);
        clients.push(std::cell::RefCell::new(sender));
    }
    let batch = |sender: &std::cell::RefCell<
        hyper::client::conn::http1::SendRequest<http_body_util::Empty<Bytes>>,
    >| {
        let mut sender = sender.borrow_mut();
        rt.block_on(async {
            for _ in 0..100 {
                sender.ready().await.expect("ready");
                let req = Request::get("/")
                    .header(header::HOST, "localhost")
                    .header(header::ACCEPT_ENCODING, "zstd, br, gzip, deflate")
                    .body(http_body_util::Empty::<Bytes>::new())
                    .expect("request");
                let res = sender.send_request(req).await.expect("response");
                res.into_body().collect().await.expect("body");
            }
        })
    };
    let m = interleaved(
        100,
        &mut [&mut || batch(&clients[0]), &mut || batch(&clients[1])],
    );
    eprintln!(
        "ratio excluded_png (socket): req/s with layer / without = {:.3}x ({:.0} vs {:.0} req/s)",
        m[0].as_secs_f64() / m[1].as_secs_f64(),
        100.0 / m[1].as_secs_f64(),
        100.0 / m[0].as_secs_f64(),
    );
    drop(servers);
}

/// Every compression benchmark, with criterion's command-line configuration.
fn benches() {
    // Only under `cargo bench` (which passes `--bench`), not when `cargo test` smoke-runs it.
    if std::env::args().any(|a| a == "--bench") && std::env::args().all(|a| a != "--list") {
        ratios();
        socket_ratio();
    }
    let mut c = Criterion::default().configure_from_args();
    zstd3(&mut c);
    excluded_png(&mut c);
    excluded_png_socket(&mut c);
}

/// Requests/s over a real socket (hyper client, one keep-alive connection) to the engine.
fn excluded_png_socket(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("excluded_png_socket");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(1));
    for (name, with_layer) in [("without_layer", false), ("with_layer", true)] {
        let (server, mut sender) = rt.block_on(async {
            let mut app = oxtor::Application::new(());
            if with_layer {
                app.install(Compression::configure(|cfg| {
                    cfg.zstd(|_| {}).gzip(|_| {}).deflate(|_| {}).brotli(|_| {});
                }))
                .expect("install");
            }
            let png = Bytes::from(vec![0x89u8; 16 * 1024]);
            app.routing(Router::new().route(
                "/",
                get(move || {
                    let png = png.clone();
                    async move { ([(header::CONTENT_TYPE, "image/png")], png) }
                }),
            ))
            .expect("routes");
            let server = oxtor::testing::TestApplication::start(app)
                .await
                .expect("start");
            let stream = tokio::net::TcpStream::connect(server.addr())
                .await
                .expect("connect");
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(conn);
            (server, sender)
        });
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = std::time::Instant::now();
                    for _ in 0..iters {
                        let req = Request::get("/")
                            .header(header::HOST, "localhost")
                            .header(header::ACCEPT_ENCODING, "zstd, br, gzip, deflate")
                            .body(http_body_util::Empty::<Bytes>::new())
                            .expect("request");
                        sender.ready().await.expect("connection ready");
                        let res = sender.send_request(req).await.expect("response");
                        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
                        res.into_body().collect().await.expect("body");
                    }
                    start.elapsed()
                })
            })
        });
        drop(server);
    }
    group.finish();
}

criterion_main!(benches);
