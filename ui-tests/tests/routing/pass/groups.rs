//! Route lists, nested `route(..)` groups, `layer(..)` and `lifecycle` blocks, and where
//! `routing!`'s result goes: `Routes`, an `axum::Router`, `Application::routing`.
use oxtor::{
    axum::{extract::DefaultBodyLimit, Router},
    prelude::*,
    routing::Routes,
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

fn empty() -> Routes {
    routing! {}
}

fn all() -> Routes {
    routing! {
        index,
        route("/api") {
            api::books,
            route("/v1") { api::books }
        }
        layer(DefaultBodyLimit::max(64 << 20)) { api::upload },
        lifecycle(cancel_call_on_close = true) { route("/slow") { index } }
        lifecycle { route("/default") { index } }
    }
}

/// axum interop: `Router::from`, `Router::merge(routes)`, `.into_router()`.
fn as_router() -> Router {
    let merged = Router::new().merge(routing! { index });
    let converted = Router::from(routing! { route("/a") { index } });
    let into: Router = routing! { route("/b") { index } }.into_router();
    merged.merge(converted).merge(into)
}

fn application() -> oxtor::Result<Application> {
    let mut app = Application::new(());
    app.routing(routing! { index, route("/api") { api::books } })?;
    Ok(app)
}

fn trailing_comma() -> Routes {
    routing! { route("/a") { index, }, route("/b") { index }, }
}

fn main() {
    let _ = (empty(), all(), trailing_comma(), as_router(), application());
}
