//! Benchmark server of `bench/hardening.sh`: `GET /hello` and `GET /books.json` (a few KB of
//! JSON, zstd/gzip by `Accept-Encoding`) on oxtor's engine at 127.0.0.1:PORT.
//!
//! `bench_hardening PORT [bounded|unbounded]`: `bounded` (the default) is the engine's defaults
//! (header-read and idle timeouts, connection cap, head limits); `unbounded` turns the
//! timeouts off, as the engine was before they were on by default, for the side-by-side cost.
use axum::Json;
use oxtor::{
    prelude::*,
    server::{Server, ServerConfig},
};
use serde::Serialize;

/// One book of `/books.json`.
#[derive(Serialize)]
struct Book {
    id: u32,
    title: String,
    author: &'static str,
    year: u16,
}

#[route(GET, "/hello")]
async fn hello() -> &'static str {
    "Hello, world!"
}

#[route(GET, "/books.json")]
async fn books() -> Json<Vec<Book>> {
    Json(
        (0..64)
            .map(|id| Book {
                id,
                title: format!("The Book of Things, volume {id}"),
                author: "A. N. Author",
                year: 1950 + (id % 70) as u16,
            })
            .collect(),
    )
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(8083);
    let bounded = args.next().as_deref() != Some("unbounded");
    let mut app = Application::new(());
    let served = match app
        .install(install!(Compression { zstd { level = 3 } }))
        .and_then(|()| app.routing(routing! { hello, books }))
    {
        Ok(()) => {
            let server = Server::new(app, ServerConfig::local(port));
            let server = if bounded {
                server
            } else {
                server.header_read_timeout(None).idle_timeout(None)
            };
            server.run().await
        }
        Err(e) => Err(e),
    };
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
