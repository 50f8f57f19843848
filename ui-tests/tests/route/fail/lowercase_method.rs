use oxtor::prelude::*;

#[route(get, "/books")]
async fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::axum::Router = routing! { books };
}
