//! `install(Auth { .. })` in `http_client!`: a bearer block with closures that capture a token
//! store (cloned where they are built), and a basic block with plain keys.
use std::sync::{Arc, Mutex};

use oxtor::client::{Auth, BasicAuthCredentials, BearerTokens};

fn main() -> Result<(), oxtor::client::ClientError> {
    let store = Arc::new(Mutex::new(Some(BearerTokens::new("access", "refresh"))));
    let client = oxtor::http_client! {
        install(Auth {
            bearer {
                load_tokens = {
                    let store = store.clone();
                    move || {
                        let tokens = store.lock().ok().and_then(|t| t.clone());
                        async move { tokens }
                    }
                }
                refresh_tokens = |params| async move { params.old_tokens }
                send_without_request = |request| request.url_ref().path().starts_with("/api")
                cache_tokens = false
                hosts = ["api.example"]
            }
            basic {
                credentials = || async { Some(BasicAuthCredentials::new("user", "pass")) }
                realm = "Access to the '/' path"
            }
        })
    }?;
    assert_eq!(client.auth_providers().len(), 2);
    client.clear_auth_tokens();
    Ok(())
}
