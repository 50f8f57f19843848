//! Ktor's `OAuth2Test` (ktor-semantics §1.4) and OAuth1a's fallback cases, one behaviour per
//! test, against a hand-written token endpoint on 127.0.0.1 (as Ktor's tests use), adapted
//! where oxtor deliberately differs (see `oxtor_runtime::plugins::auth::oauth`): the state is
//! signed and verified (tests start each flow with a redirect to get a valid one), PKCE S256 is
//! always on, the token request is a form `POST` by default, and `invalid_grant` reaches the
//! fallback first. The end-to-end flow against a third-party server is in `auth_oauth_e2e.rs`.
#![cfg(feature = "auth-oauth")]
mod auth_support;

use std::{collections::HashMap, sync::Arc, time::Duration};

use auth_support::{
    client, closed_port, json_token,
    oauth::{base, labelling_fallback, oauth_server, STATE_KEY},
    query_pairs, query_param, TokenEndpoint, TokenReply,
};
use axum::{http::StatusCode, routing, Router};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use oxtor_runtime::{
    plugins::auth::{
        oauth::{OAuthAccessTokenResponse, OAuthServerSettings},
        Authentication, Principal,
    },
    testing::TestApplication,
};
use sha2::{Digest, Sha256};

const AUTHORIZE: &str = "https://login-server-com/authorize";

/// GET `/login` without credentials: the redirect's Location.
async fn redirect(server: &TestApplication) -> String {
    let res = client().get(server.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), 302);
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// A valid state, from a redirect.
async fn state(server: &TestApplication) -> String {
    query_param(&redirect(server).await, "state").expect("state")
}

async fn get(server: &TestApplication, path_and_query: &str) -> reqwest::Response {
    client()
        .get(server.url(path_and_query))
        .send()
        .await
        .unwrap()
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_owned()
}

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
        "Logged in a1b2c type=bearer expires=Some(3600) refresh=Some(\"r1\") custom=Some(\"c\") complex=None"
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

// ---- fallback (Ktor's testFallback, OAuth1a's fallback tests) ----

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
