//! `GET /hello`, `GET /books.json`, `POST /upload`.
use axum::{
    body::Bytes,
    routing::{get, post},
    Json, Router,
};

async fn hello() -> &'static str {
    "Hello, world!"
}

async fn books() -> Json<serde_json::Value> {
    Json(serde_json::json!([{"title": "Kotlin in Action"}]))
}

async fn upload(body: Bytes) -> String {
    body.len().to_string()
}

/// The basic routes.
pub(crate) fn routes() -> Router {
    Router::new()
        .route("/hello", get(hello))
        .route("/books.json", get(books))
        .route("/upload", post(upload))
}
