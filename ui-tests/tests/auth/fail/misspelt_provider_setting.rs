use oxtor::prelude::*;

fn main() {
    let _ = install!(Authentication {
        api_key("my-api-key") {
            header_nme = "X-Key"
            validate = ApiKeys::constant_time(["secret-key"])
        }
    });
}
