//! Route lists, nested `route(..)` groups, `layer(..)` blocks and a user-defined block.
use oxtor::{
    axum::{extract::DefaultBodyLimit, Router},
    prelude::*,
};

#[route(GET, "/")]
async fn index() {}

mod api {
    use oxtor::prelude::*;

    #[route(GET, "/books")]
    pub async fn books() {}

    #[route(POST, "/upload")]
    pub async fn upload(body: String) -> String {
        body.len().to_string()
    }
}

fn empty() -> Router {
    routing! {}
}

fn all() -> Router {
    routing! {
        index,
        route("/api") {
            api::books,
            route("/v1") { api::books }
        }
        layer(DefaultBodyLimit::max(64 << 20)) { api::upload },
    }
}

fn trailing_comma() -> Router {
    routing! { route("/a") { index, }, route("/b") { index }, }
}

fn main() {
    let _ = (empty(), all(), trailing_comma());
}
