use oxtor::prelude::*;

#[route(GET, "/static/{*path}/raw")]
async fn books() -> &'static str {
    "books"
}

fn main() {
    let _: oxtor::routing::Routes = routing! { books };
}
