use oxtor::prelude::*;

#[route(GET, "/books")]
async fn books() -> &'static str {
    "books"
}

#[route(GET, "/authors")]
async fn authors() -> &'static str {
    "authors"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books authors };
}
