//! The smallest oxtor program: one route, served on port 8080 until Ctrl-C.
//!
//! `cargo run --example hello`, then `curl localhost:8080/hello`.
use oxtor::prelude::*;

#[route(GET, "/hello")]
async fn hello() -> &'static str {
    "Hello, world!"
}

#[tokio::main]
async fn main() -> oxtor::Result<()> {
    oxtor::server::embedded_server(8080, |app| app.routing(routing! { hello })).await
}
