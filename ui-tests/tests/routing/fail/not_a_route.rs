use oxtor::prelude::*;

// Forgot `#[route(..)]`.
async fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books };
}
