use oxtor::prelude::*;

#[route(GET, "/books")]
async fn books<T: Default>() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books };
}
