//! Ktor's `OAuth2Test` (ktor-semantics §1.4), redirect and token exchange, one behaviour per
//! test, against a hand-written token endpoint on 127.0.0.1 (as Ktor's tests use), adapted
//! where oxtor deliberately differs (see `oxtor_runtime::plugins::auth::oauth`): the state is
//! signed and verified (tests start each flow with a redirect to get a valid one), PKCE S256 is
//! always on, the token request is a form `POST` by default, and `invalid_grant` reaches the
//! fallback first. The fallback cases are in `auth_oauth_fallback.rs`, the end-to-end flow
//! against a third-party server in `auth_oauth_e2e.rs`.
#![cfg(feature = "auth-oauth")]
mod auth_support;

use std::{collections::HashMap, sync::Arc, time::Duration};

use auth_support::{
    client, json_token,
    oauth::{base, enc, get, oauth_server, redirect, state, STATE_KEY},
    query_pairs, query_param, TokenEndpoint, TokenReply,
};
use axum::{http::StatusCode, routing, Router};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use oxtor_runtime::plugins::auth::{
    oauth::{OAuthAccessTokenResponse, OAuthServerSettings},
    Authentication, Principal,
};
use sha2::{Digest, Sha256};

const AUTHORIZE: &str = "https://login-server-com/authorize";

#[tokio::test]
async fn redirect_carries_client_id_redirect_uri_state_response_type_and_pkce() {
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token")
    })
    .await;
    let location = redirect(&server).await;
    assert!(
        location.starts_with("https://login-server-com/authorize?"),
        "{location}"
    );
    let q: HashMap<_, _> = query_pairs(&location).into_iter().collect();
    assert_eq!(q["client_id"], "clientId1");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["redirect_uri"], server.url("/login"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(!q["state"].is_empty());
    assert!(!q.contains_key("scope"), "no scope without default_scopes");
}

#[tokio::test]
async fn redirect_joins_scopes_with_a_space() {
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token");
        cfg.default_scopes(["http://example.com/scope1", "http://example.com/scope2"]);
    })
    .await;
    let location = redirect(&server).await;
    assert_eq!(
        query_param(&location, "scope").unwrap(),
        "http://example.com/scope1 http://example.com/scope2"
    );
}

#[tokio::test]
async fn redirect_keeps_every_extra_parameter() {
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token");
        cfg.extra_auth_parameters([("a", "a1"), ("a", "a2"), ("b", "b1")]);
    })
    .await;
    let pairs = query_pairs(&redirect(&server).await);
    let a: Vec<_> = pairs
        .iter()
        .filter(|(k, _)| k == "a")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(a, ["a1", "a2"]);
    assert!(pairs.contains(&("b".into(), "b1".into())));
}

#[tokio::test]
async fn redirect_query_parameters_are_in_ktor_order_with_pkce_before_the_extras() {
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token");
        cfg.default_scopes(["s1", "s2"]);
        cfg.extra_auth_parameters([("b", "b1"), ("a", "a1"), ("b", "b2")]);
    })
    .await;
    let names: Vec<_> = query_pairs(&redirect(&server).await)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        names,
        [
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "response_type",
            "code_challenge",
            "code_challenge_method",
            "b",
            "a",
            "b",
        ]
    );
}

#[tokio::test]
async fn redirect_keeps_the_authorize_url_query_first() {
    let server = oauth_server(false, |cfg| {
        base(
            cfg,
            "https://login-server-com/authorize?tenant=t%201&x=1",
            "http://127.0.0.1:1/token",
        );
    })
    .await;
    let location = redirect(&server).await;
    assert!(
        location.starts_with("https://login-server-com/authorize?tenant=t%201&x=1&client_id="),
        "{location}"
    );
}

#[tokio::test]
async fn redirect_encodes_values_as_ktor_with_plus_for_a_space() {
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token");
        cfg.default_scopes(["http://example.com/scope1", "a~b*c"]);
        cfg.extra_auth_parameters([("k y", "v&=é")]);
    })
    .await;
    let location = redirect(&server).await;
    let redirect_uri = format!(
        "redirect_uri={}&",
        server.url("/login").replace(':', "%3A").replace('/', "%2F")
    );
    assert!(location.contains(&redirect_uri), "{location}");
    assert!(
        location.contains("&scope=http%3A%2F%2Fexample.com%2Fscope1+a~b%2Ac&"),
        "{location}"
    );
    assert!(location.ends_with("&k%20y=v%26%3D%C3%A9"), "{location}");
}

#[tokio::test]
async fn each_concurrent_call_is_redirected_to_its_looked_up_provider() {
    let server = oauth_server(false, |cfg| {
        cfg.state_key(STATE_KEY);
        cfg.url_provider(|call| format!("http://{}/login", call.host().unwrap_or("localhost")));
        cfg.provider_lookup(|call| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let n = call.uri().query()?.strip_prefix("provider=")?.to_owned();
            Some(OAuthServerSettings {
                name: format!("p{n}"),
                authorize_url: format!("https://login-{n}.example/authorize"),
                access_token_url: format!("https://login-{n}.example/token"),
                client_id: format!("client{n}"),
                ..OAuthServerSettings::default()
            })
        });
    })
    .await;
    let server = Arc::new(server);
    let tasks = (0..20).map(|n| {
        let server = server.clone();
        tokio::spawn(async move {
            let res = get(&server, &format!("/login?provider={n}")).await;
            let location = res.headers()["location"].to_str().unwrap().to_owned();
            assert!(
                location.starts_with(&format!("https://login-{n}.example/authorize?")),
                "{location}"
            );
            assert_eq!(
                query_param(&location, "client_id").unwrap(),
                format!("client{n}")
            );
        })
    });
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn code_is_exchanged_by_form_post_with_the_pkce_verifier_of_the_redirect() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| base(cfg, AUTHORIZE, &token.url)).await;
    let location = redirect(&server).await;
    let state = query_param(&location, "state").unwrap();
    let challenge = query_param(&location, "code_challenge").unwrap();
    let res = get(&server, &format!("/login?code=code1&state={}", enc(&state))).await;
    assert_eq!(res.status(), 200);
    let seen = token.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    let form: HashMap<_, _> = seen[0].form.iter().cloned().collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "code1");
    assert_eq!(form["redirect_uri"], server.url("/login"));
    assert_eq!(form["client_id"], "clientId1");
    assert_eq!(form["client_secret"], "clientSecret1");
    let verifier = &form["code_verifier"];
    assert_eq!(
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        challenge
    );
}

#[tokio::test]
async fn json_token_response_becomes_the_principal_without_non_primitive_fields() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| base(cfg, AUTHORIZE, &token.url)).await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code1&state={}", enc(&state))).await;
    assert_eq!(
        res.text().await.unwrap(),
        "Logged in a1b2c type=Bearer expires=Some(3600) refresh=Some(\"r1\") custom=Some(\"c\") complex=None"
    );
}

#[tokio::test]
async fn form_token_response_becomes_the_principal() {
    let token = TokenEndpoint::start(TokenReply::Raw(
        StatusCode::OK,
        "application/x-www-form-urlencoded",
        "access_token=formtoken&token_type=bearer&expires_in=60&custom=c".into(),
    ))
    .await;
    let server = oauth_server(false, |cfg| base(cfg, AUTHORIZE, &token.url)).await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code1&state={}", enc(&state))).await;
    assert_eq!(
        res.text().await.unwrap(),
        "Logged in formt type=bearer expires=Some(60) refresh=None custom=Some(\"c\") complex=None"
    );
}

/// `/login` answering the principal's `token_type` and `extra_parameters["token_type"]`.
async fn token_type_server(token_url: &str) -> oxtor_runtime::testing::TestApplication {
    let auth = Authentication::configure(|cfg| {
        cfg.oauth("login", |cfg| base(cfg, AUTHORIZE, token_url));
    })
    .unwrap();
    let routes = Router::new().route(
        "/login",
        routing::get(
            |Principal(t): Principal<OAuthAccessTokenResponse>| async move {
                format!(
                    "token_type={} extra={:?}",
                    t.token_type,
                    t.extra_parameters.get("token_type")
                )
            },
        ),
    );
    auth_support::serve(auth, "login", false, routes, Router::new()).await
}

#[tokio::test]
async fn token_type_of_a_json_answer_is_kept_as_sent() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = token_type_server(&token.url).await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code1&state={}", enc(&state))).await;
    assert_eq!(
        res.text().await.unwrap(),
        "token_type=Bearer extra=Some(\"Bearer\")"
    );
}

#[tokio::test]
async fn token_type_of_a_form_answer_is_kept_as_sent() {
    let token = TokenEndpoint::start(TokenReply::Raw(
        StatusCode::OK,
        "application/x-www-form-urlencoded",
        "access_token=formtoken&token_type=BEARER".into(),
    ))
    .await;
    let server = token_type_server(&token.url).await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code1&state={}", enc(&state))).await;
    assert_eq!(
        res.text().await.unwrap(),
        "token_type=BEARER extra=Some(\"BEARER\")"
    );
}

#[tokio::test]
async fn a_missing_token_type_is_empty_and_not_an_extra_parameter() {
    let token = TokenEndpoint::start(TokenReply::Raw(
        StatusCode::OK,
        "application/json",
        r#"{"access_token":"a1"}"#.into(),
    ))
    .await;
    let server = token_type_server(&token.url).await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=code1&state={}", enc(&state))).await;
    assert_eq!(res.text().await.unwrap(), "token_type= extra=None");
}

#[tokio::test]
async fn request_method_get_sends_the_token_parameters_in_the_query() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        cfg.request_method(axum::http::Method::GET);
    })
    .await;
    let state = state(&server).await;
    let res = get(&server, &format!("/login?code=mow&state={}", enc(&state))).await;
    assert_eq!(res.status(), 200);
    let seen = token.requests();
    assert_eq!(seen[0].method, "GET");
    assert!(seen[0].query.contains(&("code".into(), "mow".into())));
    assert!(seen[0].form.is_empty());
}

#[tokio::test]
async fn callback_in_a_form_body_is_read_and_the_body_stays_readable() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| base(cfg, AUTHORIZE, &token.url)).await;
    let state = state(&server).await;
    let body = format!("code=code1&state={}&foo=bar", enc(&state));
    let res = client()
        .post(server.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), format!("body={body}"));
    assert_eq!(token.requests().len(), 1);
}

#[tokio::test]
async fn form_body_can_be_received_in_the_route_handler_under_optional() {
    let server = oauth_server(true, |cfg| base(cfg, AUTHORIZE, "http://127.0.0.1:1/token")).await;
    let res = client()
        .post(server.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("foo=bar")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "body=foo=bar");
}

#[tokio::test]
async fn extra_token_parameters_are_sent_with_repeated_keys() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        cfg.extra_token_parameters([("a", "a1"), ("a", "a2"), ("b", "b1")]);
    })
    .await;
    let state = state(&server).await;
    get(&server, &format!("/login?code=c&state={}", enc(&state))).await;
    let form = &token.requests()[0].form;
    let a: Vec<_> = form
        .iter()
        .filter(|(k, _)| k == "a")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(a, ["a1", "a2"]);
    assert!(form.contains(&("b".into(), "b1".into())));
}

#[tokio::test]
async fn access_token_requires_basic_auth_sends_the_client_credentials_as_basic() {
    let token = TokenEndpoint::start(json_token()).await;
    let server = oauth_server(false, |cfg| {
        base(cfg, AUTHORIZE, &token.url);
        cfg.access_token_requires_basic_auth(true);
    })
    .await;
    let state = state(&server).await;
    get(&server, &format!("/login?code=c&state={}", enc(&state))).await;
    let seen = &token.requests()[0];
    assert_eq!(
        seen.headers["authorization"],
        "Basic Y2xpZW50SWQxOmNsaWVudFNlY3JldDE="
    );
    assert!(!seen.form.iter().any(|(k, _)| k == "client_secret"));
}

#[tokio::test]
async fn application_state_from_on_state_created_comes_back_in_the_principal() {
    let token = TokenEndpoint::start(json_token()).await;
    let redirects: Arc<std::sync::Mutex<HashMap<String, String>>> = Arc::default();
    let store = redirects.clone();
    let auth = Authentication::configure(|cfg| {
        cfg.oauth("login", |cfg| {
            base(cfg, AUTHORIZE, &token.url);
            cfg.on_state_created(move |call, state| {
                let store = store.clone();
                async move {
                    let to = call
                        .uri()
                        .query()
                        .and_then(|q| q.strip_prefix("redirectUrl="))
                        .unwrap_or("/");
                    store.lock().unwrap().insert(state, to.to_owned());
                }
            });
        });
    })
    .unwrap();
    let lookup = redirects.clone();
    let routes = Router::new().route(
        "/login",
        routing::get(
            move |Principal(t): Principal<OAuthAccessTokenResponse>| async move {
                let state = t.state.unwrap_or_default();
                lookup
                    .lock()
                    .unwrap()
                    .get(&state)
                    .cloned()
                    .unwrap_or_default()
            },
        ),
    );
    let server = auth_support::serve(auth, "login", false, routes, Router::new()).await;
    let res = get(&server, "/login?redirectUrl=/original").await;
    let state = query_param(res.headers()["location"].to_str().unwrap(), "state").unwrap();
    let res = get(&server, &format!("/login?code=c&state={}", enc(&state))).await;
    assert_eq!(res.text().await.unwrap(), "/original");
}

#[test]
fn missing_settings_url_provider_or_state_key_are_configuration_errors() {
    let err = |f: fn(&mut oxtor_runtime::plugins::auth::oauth::OAuthConfig)| {
        Authentication::configure(|cfg| {
            cfg.oauth("login", f);
        })
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        err(|cfg| {
            cfg.state_key(STATE_KEY);
        }),
        "Authentication.oauth(\"login\"): Either settings or providerLookup should be specified"
    );
    assert!(err(|cfg| {
        base(cfg, AUTHORIZE, "http://127.0.0.1:1/token");
        cfg.state_key("short");
    })
    .starts_with("Authentication.oauth(\"login\").state_key: an HMAC key of at least 16 bytes"));
    assert!(err(|cfg| {
        base(cfg, "not a url", "http://127.0.0.1:1/token");
    })
    .starts_with("Authentication.oauth(\"login\").authorize_url: \"not a url\""));
}

#[tokio::test]
async fn a_call_without_settings_is_refused_not_let_through() {
    let server = oauth_server(false, |cfg| {
        cfg.state_key(STATE_KEY);
        cfg.url_provider(|_| "http://localhost/login".to_owned());
        cfg.provider_lookup(|_| async { None });
    })
    .await;

    let res = get(&server, "/login").await;

    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_ne!(res.text().await.unwrap(), "anonymous");
}
