//! Benchmark server (oxtor side of `bench/foundation.sh`): `GET /hello`, `GET /json`,
//! `GET /user/{id}` served by oxtor's engine on 127.0.0.1:PORT (first argument, default 8081).
//!
//! The routes are declared with the DSL (`#[route]` + `routing!`), which expands to the same
//! `Router::route(path, on(filter, handler))` a hand-written axum app has.
use axum::{extract::Path, Json};
use oxtor::{
    prelude::*,
    server::{Server, ServerConfig},
};
use serde::Serialize;

/// The JSON body (the same struct as the axum side).
#[derive(Serialize)]
struct Message {
    message: &'static str,
    id: u32,
}

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

/// The three benchmark routes.
fn routes() -> oxtor::routing::Routes {
    routing! { hello, json, user }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let port = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    let mut app = Application::new(());
    let served = match app.routing(routes()) {
        Ok(()) => Server::new(app, ServerConfig::local(port)).run().await,
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
