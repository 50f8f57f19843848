use oxtor::prelude::*;

fn main() {
    // Basic's `validate` takes one credential, not a name and a password.
    let _ = install!(Authentication {
        basic("b") {
            validate = |name: String, password: String| async move {
                (name == password).then(|| UserIdPrincipal::new(name))
            }
        }
    });
}
