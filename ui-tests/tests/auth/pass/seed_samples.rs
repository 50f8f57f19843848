//! The seed's two samples, as the DSL writes them.
use oxtor::prelude::*;
use oxtor::axum::http::StatusCode;

fn main() {
    let api_key = install!(Authentication {
        api_key("my-api-key") {
            validate = |key| async move {
                if key == "secret-key" { Some(UserIdPrincipal::new(key)) } else { None }
            }
        }
    });
    assert!(api_key.is_ok());

    let oauth = install!(Authentication {
        oauth("login") {
            authorize_url = "http://127.0.0.1:8081/authorize"
            access_token_url = "http://127.0.0.1:8081/token"
            client_id = "oxtor"
            client_secret = "secret"
            state_key = "a key of at least 32 bytes, shared by every instance"
            url_provider = |call| format!("http://{}/login", call.host().unwrap_or("localhost"))
            fallback = |call, cause| async move {
                if cause.is::<OAuth2RedirectError>() {
                    call.respond_redirect("/login-after-fallback")
                } else {
                    call.respond((StatusCode::FORBIDDEN, cause.message()))
                }
            }
        }
    });
    assert!(oauth.is_ok());
}
