use oxtor::prelude::*;

fn main() {
    // `validate` returns a future: `|key| async move { .. }`.
    let _ = install!(Authentication {
        api_key("my-api-key") {
            validate = |key| (key == "secret-key").then(|| UserIdPrincipal::new(key))
        }
    });
}
