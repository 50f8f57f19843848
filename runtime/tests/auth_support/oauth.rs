//! An oxtor server with one `oauth("login")` provider protecting `GET|POST /login`, and a
//! fallback that labels the cause it got.
use std::sync::{Arc, Mutex};

use axum::{
    http::StatusCode,
    routing::{self, post},
    Router,
};
use oxtor_runtime::{
    plugins::auth::{
        oauth::{
            OAuth2InvalidGrantError, OAuth2RedirectError, OAuth2StateError, OAuth2TokenError,
            OAuthAccessTokenResponse, OAuthConfig,
        },
        AuthError, Authentication, Principal,
    },
    testing::TestApplication,
};

use super::{client, query_param, serve};

pub const STATE_KEY: &str = "test state key, 32 bytes or more!";

/// A short tag of the cause a fallback got.
pub fn label(cause: &AuthError) -> String {
    if let Some(e) = cause.downcast_ref::<OAuth2RedirectError>() {
        format!("redirect:{}", e.error)
    } else if let Some(e) = cause.downcast_ref::<OAuth2TokenError>() {
        format!("token:{e:?}")
    } else if let Some(e) = cause.downcast_ref::<OAuth2StateError>() {
        format!("state:{e:?}")
    } else if cause.is::<OAuth2InvalidGrantError>() {
        "invalid_grant".to_owned()
    } else {
        format!("other:{cause}")
    }
}

/// The causes a [`labelling_fallback`] saw.
pub type Seen = Arc<Mutex<Vec<String>>>;

/// A fallback answering `403` with the cause's label (and recording it).
pub fn labelling_fallback(cfg: &mut OAuthConfig) -> Seen {
    let seen = Seen::default();
    let record = seen.clone();
    cfg.fallback(move |call, cause| {
        let record = record.clone();
        async move {
            let l = label(&cause);
            record.lock().unwrap().push(l.clone());
            call.respond((StatusCode::FORBIDDEN, l));
        }
    });
    seen
}

/// Base settings: token endpoint `token_url`, authorize URL `authorize_url`, the callback on
/// the request's own host; then `configure` adds or overrides.
pub fn base(cfg: &mut OAuthConfig, authorize_url: &str, token_url: &str) {
    cfg.authorize_url(authorize_url);
    cfg.access_token_url(token_url);
    cfg.client_id("clientId1");
    cfg.client_secret("clientSecret1");
    cfg.state_key(STATE_KEY);
    cfg.url_provider(|call| format!("http://{}/login", call.host().unwrap_or("localhost")));
}

/// Serves `/login` (answering `Logged in <token prefix>`, echoing a POST body) behind
/// `authenticate("login")`, and `/login-after-fallback`.
pub async fn oauth_server(
    optional: bool,
    configure: impl FnOnce(&mut OAuthConfig),
) -> TestApplication {
    let auth = Authentication::configure(|cfg| {
        cfg.oauth("login", configure);
    })
    .expect("valid configuration");
    let login = Router::new().route(
        "/login",
        routing::get(
            |p: Option<Principal<OAuthAccessTokenResponse>>| async move {
                match p {
                    Some(Principal(t)) => format!(
                        "Logged in {} type={} expires={:?} refresh={:?} custom={:?} complex={:?}",
                        &t.access_token[..t.access_token.len().min(5)],
                        t.token_type,
                        t.expires_in.map(|d| d.as_secs()),
                        t.refresh_token,
                        t.extra_parameters.get("custom"),
                        t.extra_parameters.get("complex"),
                    ),
                    None => "anonymous".to_owned(),
                }
            },
        )
        .post(|body: String| async move { format!("body={body}") }),
    );
    let open = Router::new().route(
        "/login-after-fallback",
        routing::get(|| async { "Redirected after fallback" }).merge(post(|| async { "posted" })),
    );
    serve(auth, "login", optional, login, open).await
}

/// GET `/login` without credentials: the redirect's Location.
pub async fn redirect(server: &TestApplication) -> String {
    let res = client().get(server.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 302);
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// A valid state, from a redirect.
pub async fn state(server: &TestApplication) -> String {
    query_param(&redirect(server).await, "state").expect("state")
}

/// GET `path_and_query` without following redirects.
pub async fn get(server: &TestApplication, path_and_query: &str) -> reqwest::Response {
    client()
        .get(server.url(path_and_query))
        .send()
        .await
        .unwrap()
}

/// `s` percent-encoded for a query.
pub fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_owned()
}
