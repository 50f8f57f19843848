//! Code the load-test servers of `bench/` share as compiled code, not as source: a function here
//! is compiled once, in this library, so every contestant runs the same machine code for it.
//!
//! `GET /books.json` serialises the showcase's library on every request. Compiled separately
//! into each server (the handler's `Json(&BOOKS)` monomorphised in each binary), the same
//! serialisation took 11,317 instructions per request in `bench_oxtor` and 9,881 in
//! `bench_axum` (callgrind, `serde` and the derived `Serialize` only): the compiler inlines it
//! differently in each binary, which measured the code generator's luck instead of the engines.
//!
//! Every server also logs the way the showcase does ([`log_like_the_showcase`]): with no tracing
//! subscriber installed, tracing's `log` feature (turned on by axum's default `tower-log` and by
//! actix-web) sends each disabled span of the `h2` crate through the `log` facade: about 8,200
//! instructions per HTTP/2 request on every axum-based side (callgrind, `GET /hello`, 32
//! streams per connection), 19 % of the request, which a user with a subscriber does not pay.
//!
//! ```
//! let body = oxtor_bench::books_json().expect("the books serialise");
//! assert!(body.starts_with(b"[{\"title\":"));
//! ```
#[path = "../../examples/showcase/books.rs"]
mod library;

/// The showcase's 30 books as a JSON array (about 5 KiB), serialised now. Never inlined, so that
/// each server calls this one copy.
///
/// # Errors
/// If `serde_json` fails to serialise them (it does not for this data).
#[inline(never)]
pub fn books_json() -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&library::BOOKS[..])
}

/// `GET /books.json` for the axum-based servers (axum and oxtor): [`books_json`] as an
/// `application/json` response, or a 500 with the error.
#[inline(never)]
pub fn books_response() -> axum::response::Response {
    use axum::response::IntoResponse;
    match books_json() {
        Ok(body) => (
            [(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => (http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The JSON body of `GET /json`, the same struct on every side.
#[derive(serde::Serialize)]
pub struct Message {
    /// Always "Hello, world!".
    pub message: &'static str,
    /// Always 42.
    pub id: u32,
}

/// The hand-written axum side: `bench_axum`'s handlers and router, which `bench_hyper` serves
/// too (through its `Router`, or calling the handlers itself).
pub mod axum_app {
    use axum::{extract::Path, routing::get, Json, Router};

    use super::Message;

    /// `GET /hello`.
    pub async fn hello() -> &'static str {
        "Hello, world!"
    }

    /// `GET /json`.
    pub async fn json() -> Json<Message> {
        Json(Message {
            message: "Hello, world!",
            id: 42,
        })
    }

    /// `GET /user/{id}`.
    pub async fn user(Path(id): Path<String>) -> String {
        format!("Hello, {id}")
    }

    /// `GET /books.json`: [`books_response`](super::books_response).
    pub async fn books() -> axum::response::Response {
        super::books_response()
    }

    /// The four routes.
    pub fn router() -> Router {
        Router::new()
            .route("/hello", get(hello))
            .route("/json", get(json))
            .route("/user/{id}", get(user))
            .route("/books.json", get(books))
    }
}

/// Installs the tracing subscriber the showcase installs (`tracing_subscriber::fmt` on stderr,
/// `RUST_LOG` or `info`), so that every server runs with the logging set-up a user ships.
pub fn log_like_the_showcase() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
}
