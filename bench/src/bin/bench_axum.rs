//! Benchmark baseline (axum side of `bench/foundation.sh` and `bench/engine.sh`): the same
//! handlers as `bench_oxtor`, hand-written axum 0.8 (`oxtor_bench::axum_app`) served by
//! `axum::serve` on 127.0.0.1:PORT.
//!
//! `bench_axum PORT [compression]`: PORT defaults to 8082; with `compression`, the router is
//! wrapped in tower-http's `CompressionLayer` at zstd level 3 (what a hand-written axum app
//! uses where oxtor installs `Compression`).
use axum::serve::ListenerExt;
use tower_http::{compression::CompressionLayer, CompressionLevel};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oxtor_bench::log_like_the_showcase();
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8082);
    let compression = match args.next().as_deref() {
        None => false,
        Some("compression") => true,
        Some(other) => {
            eprintln!("error: unknown argument `{other}` (expected `compression`)");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut router = oxtor_bench::axum_app::router();
    if compression {
        router = router.layer(CompressionLayer::new().quality(CompressionLevel::Precise(3)));
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot bind 127.0.0.1:{port}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // TCP_NODELAY as axum's docs recommend (oxtor's engine sets it too).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
