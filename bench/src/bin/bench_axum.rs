//! Benchmark baseline (axum side of `bench/foundation.sh`): the same three handlers as
//! `bench_oxtor`, hand-written axum 0.8 served by `axum::serve` on 127.0.0.1:PORT (first
//! argument, default 8082).
use axum::{extract::Path, routing::get, serve::ListenerExt, Json, Router};
use serde::Serialize;

/// The JSON body (the same struct as the oxtor side).
#[derive(Serialize)]
struct Message {
    message: &'static str,
    id: u32,
}

async fn hello() -> &'static str {
    "Hello, world!"
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, world!",
        id: 42,
    })
}

async fn user(Path(id): Path<String>) -> String {
    format!("Hello, {id}")
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8082);
    let router = Router::new()
        .route("/hello", get(hello))
        .route("/json", get(json))
        .route("/user/{id}", get(user));
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
