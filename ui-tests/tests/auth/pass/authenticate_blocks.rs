//! `authenticate` blocks: one name, several, the default provider, `optional`, nested in
//! `route`.
use oxtor::prelude::*;

#[route(GET, "/a")]
async fn a(key: Principal<UserIdPrincipal>) -> String {
    key.name.clone()
}

#[route(GET, "/b")]
async fn b(key: Option<Principal<UserIdPrincipal>>) -> String {
    key.map(|k| k.name.clone()).unwrap_or_default()
}

fn main() {
    let _: oxtor::routing::Routes = routing! {
        authenticate("key") { a },
        authenticate("key", "t", optional = true) { b },
        route("/api") { authenticate(None) { a } },
    };
}
