//! `authenticate { }` and `authenticate() { }` name the default (unnamed) provider, as Ktor's
//! `authenticate { }`; keys alone keep it.
use oxtor::prelude::*;

#[route(GET, "/a")]
async fn a(key: Principal<UserIdPrincipal>) -> String {
    key.name.clone()
}

#[route(GET, "/b")]
async fn b(key: Option<Principal<UserIdPrincipal>>) -> String {
    key.map(|k| k.name.clone()).unwrap_or_default()
}

#[route(GET, "/c")]
async fn c(key: Principal<UserIdPrincipal>) -> String {
    key.name.clone()
}

fn main() {
    let _: oxtor::routing::Routes = routing! {
        authenticate { a },
        authenticate() { c },
        authenticate(optional = true) { b },
    };
}
