use oxtor::prelude::*;

#[route(GET, "/books/{book-id}")]
async fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books };
}
