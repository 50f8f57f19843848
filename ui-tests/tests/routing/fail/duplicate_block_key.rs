use oxtor::prelude::*;

#[route(GET, "/secret")]
async fn secret() -> &'static str {
    "secret"
}

fn main() {
    let _: oxtor::routing::Routes = routing! {
        authenticate("api-key", optional = true, optional = false) { secret }
    };
}
