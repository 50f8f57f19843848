//! Benchmark server (oxtor side of `bench/foundation.sh` and `bench/engine.sh`): `GET /hello`,
//! `GET /json`, `GET /user/{id}` and `GET /books.json` (the showcase's library, serialised per
//! request) served by oxtor's engine on 127.0.0.1:PORT.
//!
//! `bench_oxtor PORT [none|showcase|compression|lifecycle] [WORKERS]`: PORT defaults to 8081;
//! with `showcase`, the application installs the plugins the showcase ships with, exactly as it
//! does (`Compression` with zstd level 3, br, gzip and deflate; `HttpRequestLifecycle {
//! cancel_call_on_close = true }`), with `compression` or `lifecycle` only that one of them,
//! otherwise none. With WORKERS, the engine serves in its thread-per-core mode on that many
//! workers (0: one per CPU); without, on this `#[tokio::main]` runtime.
//!
//! The routes are declared with the DSL (`#[route]` + `routing!`), which expands to the same
//! `Router::route(path, on(filter, handler))` a hand-written axum app has.
#[path = "../workers.rs"]
mod workers;
use axum::{extract::Path, Json};
use oxtor::{
    plugins::{compression::Compression, lifecycle::HttpRequestLifecycle},
    prelude::*,
    server::{Server, ServerConfig},
};
use oxtor_bench::Message;

#[route(GET, "/hello")]
async fn hello() -> &'static str {
    "Hello, world!"
}

#[route(GET, "/json")]
async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, world!",
        id: 42,
    })
}

#[route(GET, "/user/{id}")]
async fn user(Path(id): Path<String>) -> String {
    format!("Hello, {id}")
}

#[route(GET, "/books.json")]
async fn books() -> axum::response::Response {
    // The same compiled serialisation as the other sides (see `oxtor_bench`).
    oxtor_bench::books_response()
}

/// The benchmark routes.
fn routes() -> oxtor::routing::Routes {
    routing! { hello, json, user, books }
}

/// Which of the showcase's plugins the application installs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plugins {
    None,
    Compression,
    Lifecycle,
    Showcase,
}

/// The application: the routes and the chosen plugins.
fn module(app: &mut Application, plugins: Plugins) -> oxtor::Result<()> {
    if matches!(plugins, Plugins::Compression | Plugins::Showcase) {
        app.install(install!(Compression {
            zstd { level = 3 }
            brotli { priority = 0.95 }
            gzip { priority = 0.9 }
            deflate { priority = 0.8 }
        }))?;
    }
    if matches!(plugins, Plugins::Lifecycle | Plugins::Showcase) {
        app.install(install!(HttpRequestLifecycle {
            cancel_call_on_close = true
        }))?;
    }
    app.routing(routes())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oxtor_bench::log_like_the_showcase();
    let mut args = std::env::args().skip(1);
    let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(8081);
    let plugins = match args.next().as_deref() {
        None | Some("none") => Plugins::None,
        Some("showcase") => Plugins::Showcase,
        Some("compression") => Plugins::Compression,
        Some("lifecycle") => Plugins::Lifecycle,
        Some(other) => {
            eprintln!(
                "error: unknown argument `{other}` (expected `none`, `showcase`, `compression` or `lifecycle`)"
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let config = match workers::apply(ServerConfig::local(port), args.next()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut app = Application::new(());
    let served = match module(&mut app, plugins) {
        Ok(()) => Server::new(app, config).run().await,
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
