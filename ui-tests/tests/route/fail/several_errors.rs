use oxtor::prelude::*;

// Every problem is reported at once, each at its own token.
#[route(GET | FETCH, "books/{id")]
fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books };
}
