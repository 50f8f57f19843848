//! Ktor's `OAuth2Test.testFallback`, `testRequestTokenBadCode`, `testRequestTokenErrorRedirect`,
//! `testFailedNonce` and OAuth1a's fallback tests (ktor-semantics §1.4), plus every `Error`
//! cause the issue names, each reaching the `fallback` with its own type, against a
//! hand-written token endpoint on 127.0.0.1. Adapted where oxtor deliberately differs: the
//! state is verified (a forged, expired or replayed one is an `OAuth2StateError`), and
//! `invalid_grant` reaches the fallback before the redirect to the authorize URL.
#![cfg(feature = "auth-oauth")]
mod auth_support;

use std::{sync::Arc, time::Duration};

use auth_support::{
    closed_port, json_token,
    oauth::{base, enc, get, labelling_fallback, oauth_server, state},
    TokenEndpoint, TokenReply,
};
use axum::http::StatusCode;

const AUTHORIZE: &str = "https://login-server-com/authorize";

/// The seed's fallback plus Ktor's testFallback branches.
fn ktor_fallback(cfg: &mut oxtor_runtime::plugins::auth::oauth::OAuthConfig) {
    use oxtor_runtime::plugins::auth::oauth::OAuth2RedirectError;
    cfg.fallback(|call, cause| async move {
        if cause.is::<OAuth2RedirectError>() {
            call.respond_redirect("/login-after-fallback");
        } else if cause.message().contains("Invalid response!") {
            call.respond((StatusCode::FORBIDDEN, cause.message()));
        } else {
            call.append_response_header("Auth-Fallback", "true")
                .unwrap();
        }
    });
}

#[tokio::test]
async fn fallback_redirects_on_an_error_callback() {
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token");
        ktor_fallback(cfg);
    })
    .await;
    let res = get(&server, "/login?error=ERROR").await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/login-after-fallback");
    let followed = reqwest::get(server.url("/login?error=ERROR"))
        .await
        .unwrap();
    assert_eq!(followed.text().await.unwrap(), "Redirected after fallback");
}

#[tokio::test]
async fn fallback_answers_403_on_an_error_inside_a_200_token_response() {
    let token = TokenEndpoint::start(TokenReply::Raw(
        StatusCode::OK,
        "application/x-www-form-urlencoded",
        "error=Invalid%20response!".into(),
    ))
    .await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        ktor_fallback(cfg);
    })
    .await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code&state={}", enc(&state))).await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("Invalid response!"));
}

#[tokio::test]
async fn fallback_that_does_not_respond_gives_401_keeping_its_headers() {
    let token = TokenEndpoint::start(TokenReply::Raw(
        StatusCode::OK,
        "application/x-www-form-urlencoded",
        "error=error".into(),
    ))
    .await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        ktor_fallback(cfg);
    })
    .await;
    let state = state(&server).await;
    let res = get(
        &server,
        &format!("/login?code=invalid&state={}", enc(&state)),
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["auth-fallback"], "true");
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn error_callback_without_fallback_is_401() {
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token")
    })
    .await;
    let res = get(
        &server,
        "/login?error=access_denied&error_description=User%20denied%20access",
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn invalid_grant_reaches_the_fallback_then_redirects_to_authorize_again() {
    let token = TokenEndpoint::start(TokenReply::Raw(
        StatusCode::BAD_REQUEST,
        "application/json",
        r#"{"error":"invalid_grant","error_description":"bad code"}"#.into(),
    ))
    .await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        cfg.fallback(move |_call, cause| {
            let record = record.clone();
            async move {
                record
                    .lock()
                    .unwrap()
                    .push(auth_support::oauth::label(&cause))
            }
        });
    })
    .await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code2&state={}", enc(&state))).await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(AUTHORIZE), "{location}");
    assert_eq!(*seen.lock().unwrap(), ["invalid_grant"]);
}

#[tokio::test]
async fn fallback_can_answer_invalid_grant_itself() {
    let token = TokenEndpoint::start(TokenReply::Raw(
        StatusCode::BAD_REQUEST,
        "application/json",
        r#"{"error":"invalid_grant"}"#.into(),
    ))
    .await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        labelling_fallback(cfg);
    })
    .await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code2&state={}", enc(&state))).await;
    assert_eq!(res.status(), 403);
    assert_eq!(res.text().await.unwrap(), "invalid_grant");
}

/// Runs one callback against a token endpoint answering `reply` and returns the fallback's
/// label.
async fn fallback_label(
    reply: Option<TokenReply>,
    tweak: impl FnOnce(&mut oxtor_runtime::plugins::auth::oauth::OAuthConfig),
) -> String {
    let (token, url) = match reply {
        Some(r) => {
            let t = TokenEndpoint::start(r).await;
            let url = t.url.clone();
            (Some(t), url)
        }
        None => (
            None,
            format!("http://127.0.0.1:{}/token", closed_port().await),
        ),
    };
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &url);
        labelling_fallback(cfg);
        tweak(cfg);
    })
    .await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=c&state={}", enc(&state))).await;
    assert_eq!(res.status(), 403);
    drop(token);
    res.text().await.unwrap()
}

#[tokio::test]
async fn unreachable_token_endpoint_reaches_the_fallback() {
    let label = fallback_label(None, |_| {}).await;
    assert!(label.starts_with("token:Unreachable("), "{label}");
}

#[tokio::test]
async fn token_endpoint_timeout_reaches_the_fallback() {
    let label = fallback_label(Some(TokenReply::Slow(Duration::from_secs(5))), |cfg| {
        cfg.token_request_timeout(Duration::from_millis(200));
    })
    .await;
    assert_eq!(label, "token:Timeout");
}

#[tokio::test]
async fn token_endpoint_5xx_reaches_the_fallback() {
    let reply = TokenReply::Raw(
        StatusCode::BAD_GATEWAY,
        "text/html",
        "<h1>bad gateway</h1>".into(),
    );
    assert_eq!(
        fallback_label(Some(reply), |_| {}).await,
        "token:Status(502)"
    );
}

#[tokio::test]
async fn token_endpoint_4xx_error_response_reaches_the_fallback() {
    let reply = TokenReply::Raw(
        StatusCode::UNAUTHORIZED,
        "application/json",
        r#"{"error":"invalid_client"}"#.into(),
    );
    let label = fallback_label(Some(reply), |_| {}).await;
    assert!(
        label.starts_with("token:ErrorResponse { error: \"invalid_client\""),
        "{label}"
    );
}

#[tokio::test]
async fn unparsable_token_response_reaches_the_fallback() {
    let reply = TokenReply::Raw(StatusCode::OK, "text/plain", "hello there".into());
    let label = fallback_label(Some(reply), |_| {}).await;
    assert!(label.starts_with("token:Unparsable("), "{label}");
}

#[tokio::test]
async fn token_response_without_access_token_reaches_the_fallback() {
    let reply = TokenReply::Raw(
        StatusCode::OK,
        "application/json",
        r#"{"token_type":"bearer"}"#.into(),
    );
    assert_eq!(
        fallback_label(Some(reply), |_| {}).await,
        "token:MissingAccessToken"
    );
}

#[tokio::test]
async fn tampered_state_reaches_the_fallback_and_never_the_token_endpoint() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        labelling_fallback(cfg);
    })
    .await;
    let mut state = state(&server).await;
    state.replace_range(0..1, if state.starts_with('A') { "B" } else { "A" });
    let res = get(&server, &format!("/login?code=c&state={}", enc(&state))).await;
    assert_eq!(res.text().await.unwrap(), "state:Forged");
    assert!(token.requests().is_empty());
}

#[tokio::test]
async fn replayed_state_reaches_the_fallback() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        labelling_fallback(cfg);
    })
    .await;
    let state = state(&server).await;
    let callback = format!("/login?code=c&state={}", enc(&state));
    assert_eq!(get(&server, &callback).await.status(), 200);
    let again = get(&server, &callback).await;
    assert_eq!(again.text().await.unwrap(), "state:Replayed");
}

#[tokio::test]
async fn expired_state_reaches_the_fallback() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        cfg.state_ttl(Duration::ZERO);
        labelling_fallback(cfg);
    })
    .await;
    let state = state(&server).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = get(&server, &format!("/login?code=c&state={}", enc(&state))).await;
    assert_eq!(res.text().await.unwrap(), "state:Expired");
}

#[tokio::test]
async fn forged_state_without_fallback_is_401() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| base(cfg, AUTHORIZE, &token.url)).await;
    let res = get(&server, "/login?code=some_code&state=some_nonce").await;
    assert_eq!(res.status(), 401);
    assert!(token.requests().is_empty());
}
