use oxtor::prelude::*;

#[route(GET, "/books")]
fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books };
}
