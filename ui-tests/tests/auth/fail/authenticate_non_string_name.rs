use oxtor::prelude::*;

#[route(GET, "/secret")]
async fn secret(key: Principal<UserIdPrincipal>) -> String {
    key.name.clone()
}

fn main() {
    let _ = routing! { authenticate(42) { secret } };
}
