use oxtor::prelude::*;

struct Library;

impl Library {
    #[route(GET, "/books")]
    async fn books(&self) -> &'static str {
        "books"
    }
}

fn main() {}
