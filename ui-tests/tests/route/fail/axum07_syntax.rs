use oxtor::prelude::*;

#[route(GET, "/books/:id")]
async fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books };
}
