use oxtor::prelude::*;

#[route(GET, "/secret")]
async fn secret(key: Option<Principal<UserIdPrincipal>>) -> String {
    key.map(|k| k.name.clone()).unwrap_or_default()
}

fn main() {
    let _ = routing! { authenticate("my-api-key", optinal = true) { secret } };
}
