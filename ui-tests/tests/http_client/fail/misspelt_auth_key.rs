use oxtor::client::{Auth, BearerTokens};

fn main() {
    let _ = oxtor::http_client! {
        install(Auth {
            bearer { load_tokns = || async { Some(BearerTokens::access("t")) } }
        })
    };
}
