use oxtor::prelude::*;

#[route(GET)]
async fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::axum::Router = routing! { books };
}
