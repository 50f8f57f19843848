//! `GET /hello`, `GET /books.json`, `POST /upload`: the basics, each declared with `#[route]`.
use axum::{
    extract::{DefaultBodyLimit, Request},
    http::StatusCode,
    Json, RequestExt,
};
use futures_util::StreamExt;
use oxtor::prelude::*;

use crate::books::{Book, BOOKS};

/// The body size `POST /upload` accepts (axum's default is 2 MiB).
const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

/// `Hello, world!` as plain text (the benchmark route).
#[route(GET, "/hello")]
async fn hello() -> &'static str {
    "Hello, world!"
}

/// The whole library as a JSON array.
#[route(GET, "/books.json")]
async fn books() -> Json<&'static [Book]> {
    Json(&BOOKS)
}

/// Counts the body's bytes as they arrive, without buffering it: answers the count as text, 413
/// beyond [`UPLOAD_LIMIT`].
#[route(POST, "/upload")]
async fn upload(request: Request) -> Result<String, (StatusCode, String)> {
    // Applies the route's `DefaultBodyLimit` to the streamed body.
    let mut body = request.with_limited_body().into_body().into_data_stream();
    let mut received: u64 = 0;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received += bytes.len() as u64,
            Err(e) if is_too_large(&e) => {
                return Err((StatusCode::PAYLOAD_TOO_LARGE, format!("{e}\n")));
            }
            Err(e) => return Err((StatusCode::BAD_REQUEST, format!("{e}\n"))),
        }
    }
    Ok(received.to_string())
}

/// Whether a body error is the body limit being exceeded.
fn is_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// The basic routes.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! {
        hello,
        books,
        layer(DefaultBodyLimit::max(UPLOAD_LIMIT)) { upload }
    }
}
