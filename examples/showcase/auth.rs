//! The showcase's authentication part: the seed's API key sample (`GET /api/key`, key
//! `secret-key` in `X-Api-Key`) and its OAuth fallback sample (`GET /login`,
//! `GET /login-after-fallback`).
//!
//! The OAuth provider reads `oauth.login.{authorizeUrl, accessTokenUrl, clientId, clientSecret,
//! stateKey}` (overridable with `-P:oauth.login.clientId=..`); the defaults point at an
//! authorization server on 127.0.0.1:8081 (e.g. `npx oauth2-mock-server -p 8081`). Without a
//! `stateKey` a built-in development key is used, with a warning. The callback is `/login` on
//! the request's own host and port, under the application's root path (`-path=`) if any.
use axum::http::StatusCode;
use oxtor::{config::Config, prelude::*};

/// The development state key used when `oauth.login.stateKey` is not set.
const DEV_STATE_KEY: &str = "oxtor showcase development key -- not for production";

fn setting(config: &Config, key: &str, default: &str) -> oxtor::Result<String> {
    Ok(config
        .string(&format!("oauth.login.{key}"))?
        .unwrap_or_else(|| default.to_owned()))
}

/// Installs `Authentication` with the `my-api-key` and `login` providers.
pub(crate) fn install(app: &mut Application, config: &Config) -> oxtor::Result<()> {
    let authorize_url = setting(config, "authorizeUrl", "http://127.0.0.1:8081/authorize")?;
    let access_token_url = setting(config, "accessTokenUrl", "http://127.0.0.1:8081/token")?;
    let client_id = setting(config, "clientId", "oxtor-showcase")?;
    let client_secret = setting(config, "clientSecret", "showcase-secret")?;
    let state_key = match config.string("oauth.login.stateKey")? {
        Some(key) => key,
        None => {
            tracing::warn!(
                "oauth.login.stateKey is not set: using a built-in development key; set it (the same on every instance) for anything but a demo"
            );
            DEV_STATE_KEY.to_owned()
        }
    };
    // Under a root path (`-path=/app`) the callback and the fallback's redirect are under it too.
    let root = app.root_path().unwrap_or_default().to_owned();
    let callback_root = root.clone();
    app.install(install!(Authentication {
        api_key("my-api-key") {
            validate = ApiKeys::constant_time(["secret-key"])
        }
        oauth("login") {
            authorize_url = authorize_url
            access_token_url = access_token_url
            client_id = client_id
            client_secret = client_secret
            state_key = state_key
            url_provider = move |call| {
                format!("http://{}{callback_root}/login", call.host().unwrap_or("127.0.0.1:8080"))
            }
            fallback = move |call, cause| {
                let after = format!("{root}/login-after-fallback");
                async move {
                    if cause.is::<OAuth2RedirectError>() {
                        call.respond_redirect(&after)
                    } else {
                        call.respond((StatusCode::FORBIDDEN, cause.message()))
                    }
                }
            }
        }
    }))
}

/// The seed's API key route.
#[route(GET, "/api/key")]
async fn api_key(key: Principal<UserIdPrincipal>) -> String {
    format!("Key: {}", key.name)
}

/// The OAuth-protected route: `Logged in` and a short prefix of the access token.
#[route(GET, "/login")]
async fn login(token: Principal<OAuthAccessTokenResponse>) -> String {
    let prefix: String = token.access_token.chars().take(8).collect();
    format!("Logged in (token {prefix}…)")
}

/// Where the fallback sends a user the authorization server refused.
#[route(GET, "/login-after-fallback")]
async fn login_after_fallback() -> &'static str {
    "Redirected after fallback"
}

/// `/api/key` and `/login` behind their providers, `/login-after-fallback` open.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! {
        login_after_fallback,
        authenticate("my-api-key") { api_key },
        authenticate("login") { login },
    }
}
