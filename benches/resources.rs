//! Serving `htmx.min.js` (52 KB) to a client sending `Accept-Encoding: zstd`, over a real
//! socket to the engine, both routes in one application with the `Compression` plugin
//! (`zstd { level = 3 }`) installed, side by side in one run:
//! - `precompressed`: `static_resources`, the zstd variant made at build time (the plugin leaves
//!   it alone);
//! - `on_the_fly` (the baseline): a handler answering the same bytes uncompressed, which the
//!   plugin compresses per request.
//!
//! Each iteration is one request on a kept-alive HTTP/1.1 connection, body read whole; the
//! target is ≥ 5× the requests per second of the baseline.
//! Run: `cargo bench --bench resources`.
use std::time::Duration;

use axum::{body::Body, routing::get, Router};
use criterion::{criterion_main, Criterion};
use http::{header, Request};
use http_body_util::BodyExt;
use oxtor::{
    plugins::compression::Compression, prelude::*, resources::Resources, testing::TestApplication,
};

static RES: Resources = resources!("resources");

const HTMX: &[u8] = include_bytes!("../resources/public/htmx.min.js");

fn serve_precompressed_vs_on_the_fly(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(async {
        let mut app = Application::new(());
        app.install(install!(Compression { zstd { level = 3 } }))
            .expect("compression");
        let dynamic = Router::new().route(
            "/dynamic/htmx.min.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    HTMX,
                )
            }),
        );
        app.routing(dynamic).expect("routes");
        app.routing(static_resources("/static", &RES, "public"))
            .expect("routes");
        TestApplication::start(app).await.expect("server")
    });
    let client = server.client();
    let fetch = |path: &'static str| {
        let client = client.clone();
        let url = server.url(path);
        async move {
            let req = Request::get(url)
                .header(header::ACCEPT_ENCODING, "zstd")
                .body(Body::empty())
                .expect("request");
            let res = client.request(req).await.expect("response");
            assert_eq!(res.headers()[header::CONTENT_ENCODING], "zstd");
            res.into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes()
                .len()
        }
    };
    let pre = rt.block_on(fetch("/static/htmx.min.js"));
    let fly = rt.block_on(fetch("/dynamic/htmx.min.js"));
    println!(
        "htmx.min.js {} B: precompressed zstd-19 {pre} B, on the fly zstd-3 {fly} B",
        HTMX.len()
    );

    let mut group = c.benchmark_group("htmx_min_js_zstd");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("on_the_fly", |b| {
        b.to_async(&rt).iter(|| fetch("/dynamic/htmx.min.js"))
    });
    group.bench_function("precompressed", |b| {
        b.to_async(&rt).iter(|| fetch("/static/htmx.min.js"))
    });
    group.finish();
}

/// Criterion's group and entry point.
mod entry {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::serve_precompressed_vs_on_the_fly);
}
criterion_main!(entry::benches);
