use oxtor::prelude::*;

#[route(GET, "/books")]
async fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::axum::Router = routing! {
        books,
        layer(oxtor::axum::extract::DefaultBodyLimit::disable()),
    };
}
