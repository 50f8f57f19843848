//! Code the load-test servers of `bench/` share as compiled code, not as source: a function here
//! is compiled once, in this library, so every contestant runs the same machine code for it.
//!
//! `GET /books.json` serialises the showcase's library on every request. Compiled separately
//! into each server (the handler's `Json(&BOOKS)` monomorphised in each binary), the same
//! serialisation took 11,317 instructions per request in `bench_oxtor` and 9,881 in
//! `bench_axum` (callgrind, `serde` and the derived `Serialize` only): the compiler inlines it
//! differently in each binary, which measured the code generator's luck instead of the engines.
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
