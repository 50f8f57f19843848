//! Benchmark server (oxtor side of `bench/foundation.sh`): `GET /hello`, `GET /json`,
//! `GET /user/{id}` served by oxtor's engine on 127.0.0.1:PORT (first argument, default 8081).
//!
//! The routes are written by hand exactly as `#[route(GET, "...")]` expands them (a same-named
//! braced struct implementing `Route`, mounted with `routing::mount`). Once the macros land, the
//! switch is: delete each `struct`/`impl Route` pair, put `#[route(GET, "/hello")]` (etc.) on the
//! handler, and replace `routes()`'s body with `routing! { hello, json, user }`.
use axum::{
    extract::Path,
    routing::{on, MethodFilter, MethodRouter},
    Json, Router,
};
use oxtor::{
    routing::{mount, Route},
    server::{Server, ServerConfig},
    Application,
};
use serde::Serialize;

/// The JSON body (the same struct as the axum side).
#[derive(Serialize)]
struct Message {
    message: &'static str,
    id: u32,
}

// #[route(GET, "/hello")]
async fn hello() -> &'static str {
    "Hello, world!"
}

// #[route(GET, "/json")]
async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, world!",
        id: 42,
    })
}

// #[route(GET, "/user/{id}")]
async fn user(Path(id): Path<String>) -> String {
    format!("Hello, {id}")
}

// What `#[route]` generates for each handler above (the macro hygiene names aside).
macro_rules! hand_written_route {
    ($name:ident, $route:ident, $path:literal) => {
        #[allow(non_camel_case_types)]
        struct $route {}
        impl<S: Clone + Send + Sync + 'static> Route<S, ()> for $route {
            const PATH: &'static str = $path;
            fn method_router(self) -> MethodRouter<S> {
                on(MethodFilter::GET, $name)
            }
        }
    };
}
hand_written_route!(hello, hello_route, "/hello");
hand_written_route!(json, json_route, "/json");
hand_written_route!(user, user_route, "/user/{id}");

/// `routing! { hello, json, user }` once the macros land.
fn routes() -> Router {
    let r = Router::new();
    let r = mount(r, hello_route {});
    let r = mount(r, json_route {});
    mount(r, user_route {})
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
