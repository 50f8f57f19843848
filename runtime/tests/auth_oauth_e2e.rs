//! OAuth 2 end to end against a third-party authorization server, `oauth2-mock-server` (npm,
//! installed by `scripts/test`), started by each test on 127.0.0.1: redirect with PKCE (the
//! server checks the verifier), callback, token exchange, principal; then the failures a real
//! server produces, each reaching the fallback with its cause type (or `401` without one); and
//! two oxtor instances sharing a state key.
#![cfg(feature = "auth-oauth")]
mod auth_support;

use auth_support::{
    client,
    oauth::{base, labelling_fallback, oauth_server, STATE_KEY},
    query_param, MockAuthServer, MockMode,
};
use oxtor_runtime::testing::TestApplication;

/// Follows the flow by hand: `/login` → the mock's `/authorize` → the callback URL it
/// redirects to (returned, not followed).
async fn authorize(server: &TestApplication) -> String {
    let c = client();
    let res = c.get(server.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 302);
    let authorize = res.headers()["location"].to_str().unwrap().to_owned();
    let res = c.get(&authorize).send().await.unwrap();
    assert_eq!(res.status(), 302, "the mock's /authorize redirects back");
    res.headers()["location"].to_str().unwrap().to_owned()
}

async fn get(url: &str) -> reqwest::Response {
    client().get(url).send().await.unwrap()
}

#[tokio::test]
async fn full_flow_with_pkce_against_oauth2_mock_server() {
    let mock = MockAuthServer::start(MockMode::Ok).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, &mock.url("/authorize"), &mock.url("/token"));
        labelling_fallback(cfg);
    })
    .await;
    let callback = authorize(&server).await;
    assert!(callback.starts_with(&server.url("/login?")), "{callback}");
    assert!(query_param(&callback, "code").is_some());
    let res = get(&callback).await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    // The mock issues a JWT (`eyJ..`) as the access token, with a refresh token.
    assert!(body.starts_with("Logged in eyJ"), "{body}");
    assert!(
        body.contains("type=Bearer expires=Some(3600) refresh=Some("),
        "{body}"
    );
}

#[tokio::test]
async fn stopped_authorization_server_reaches_the_fallback_as_unreachable() {
    let mut mock = MockAuthServer::start(MockMode::Ok).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, &mock.url("/authorize"), &mock.url("/token"));
        labelling_fallback(cfg);
    })
    .await;
    let callback = authorize(&server).await;
    mock.stop().await;
    let res = get(&callback).await;
    assert_eq!(res.status(), 403);
    let label = res.text().await.unwrap();
    assert!(label.starts_with("token:Unreachable("), "{label}");
}

#[tokio::test]
async fn token_endpoint_answering_500_reaches_the_fallback() {
    let mock = MockAuthServer::start(MockMode::Token500).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, &mock.url("/authorize"), &mock.url("/token"));
        labelling_fallback(cfg);
    })
    .await;
    let res = get(&authorize(&server).await).await;
    assert_eq!(res.text().await.unwrap(), "token:Status(500)");
}

#[tokio::test]
async fn token_endpoint_answering_500_without_fallback_is_401() {
    let mock = MockAuthServer::start(MockMode::Token500).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, &mock.url("/authorize"), &mock.url("/token"))
    })
    .await;
    let res = get(&authorize(&server).await).await;
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn access_denied_reaches_the_seed_fallback_as_a_redirect_error() {
    let mock = MockAuthServer::start(MockMode::AccessDenied).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, &mock.url("/authorize"), &mock.url("/token"));
        labelling_fallback(cfg);
    })
    .await;
    let callback = authorize(&server).await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    let res = get(&callback).await;
    assert_eq!(res.text().await.unwrap(), "redirect:access_denied");
}

#[tokio::test]
async fn access_denied_without_fallback_is_401() {
    let mock = MockAuthServer::start(MockMode::AccessDenied).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, &mock.url("/authorize"), &mock.url("/token"))
    })
    .await;
    let res = get(&authorize(&server).await).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn tampered_state_from_a_real_flow_reaches_the_fallback() {
    let mock = MockAuthServer::start(MockMode::Ok).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, &mock.url("/authorize"), &mock.url("/token"));
        labelling_fallback(cfg);
    })
    .await;
    let callback = authorize(&server).await;
    let state = query_param(&callback, "state").unwrap();
    let (payload, _) = state.rsplit_once('.').unwrap();
    let forged = format!("{payload}.{}", "A".repeat(43));
    let tampered = callback.replace(&state, &forged);
    let res = get(&tampered).await;
    assert_eq!(res.text().await.unwrap(), "state:Forged");
}

#[tokio::test]
async fn flow_started_on_one_instance_finishes_on_another_with_the_same_key() {
    let mock = MockAuthServer::start(MockMode::Ok).await;
    let (auth_url, token_url) = (mock.url("/authorize"), mock.url("/token"));
    let a = oauth_server(false, |cfg| base(cfg, &auth_url, &token_url)).await;
    let b = oauth_server(false, |cfg| base(cfg, &auth_url, &token_url)).await;
    let other_key = oauth_server(false, |cfg| {
        base(cfg, &auth_url, &token_url);
        cfg.state_key(format!("{STATE_KEY} but another one"));
        labelling_fallback(cfg);
    })
    .await;

    // As behind a load balancer: the callback lands on B although A started the flow.
    let callback = authorize(&a).await;
    let on_b = callback.replace(&a.url(""), &b.url(""));
    let res = get(&on_b).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().starts_with("Logged in eyJ"));

    // An instance with another key rejects A's state.
    let callback = authorize(&a).await;
    let on_other = callback.replace(&a.url(""), &other_key.url(""));
    assert_eq!(get(&on_other).await.text().await.unwrap(), "state:Forged");
}
