//! A block that is not built in: `routing!` calls `blocks::NAME` of the runtime, so a plugin adds
//! blocks without touching the macro. This one is written by hand on top of `layer`, to show the
//! shape the auth plugin's `authenticate("name", optional = true) { .. }` will have.
use oxtor::{axum::Router, prelude::*};

#[route(GET, "/books")]
async fn books() {}

#[route(GET, "/authors")]
async fn authors() {}

fn main() {
    let _: Router = routing! {
        layer(oxtor::axum::middleware::from_fn(|req, next: oxtor::axum::middleware::Next| async move {
            next.run(req).await
        })) {
            books
        }
        authors
    };
}
