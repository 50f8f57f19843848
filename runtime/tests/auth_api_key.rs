//! Ktor's `ApiKeyAuthTest` / `ApplicationTest` (ktor-semantics §7.3), one behaviour per test,
//! over real sockets: routes `authenticated` (GET/POST, answering the principal as JSON) under
//! `authenticate("api-key")`, and `open` outside it.
#![cfg(feature = "auth")]
mod auth_support;

use auth_support::{client, serve};
use axum::{http::StatusCode, routing::get, Json, Router};
use oxtor_runtime::{
    plugins::auth::{ApiKeys, Authentication, Principal, UserIdPrincipal},
    testing::TestApplication,
};

#[derive(Clone, serde::Serialize)]
struct KeyPrincipal {
    key: String,
}

async fn authenticated(Principal(p): Principal<KeyPrincipal>) -> Json<KeyPrincipal> {
    Json(p)
}

fn routes() -> (Router, Router) {
    (
        Router::new().route("/authenticated", get(authenticated).post(authenticated)),
        Router::new().route("/open", get(|| async { "open" })),
    )
}

async fn module(header_name: Option<&'static str>, conflict_challenge: bool) -> TestApplication {
    let auth = Authentication::configure(|cfg| {
        cfg.api_key("api-key", |cfg| {
            if let Some(h) = header_name {
                cfg.header_name(h);
            }
            let expected = if header_name.is_some() {
                "world"
            } else {
                "this-is-expected-key"
            };
            cfg.validate(
                move |key| async move { (key == expected).then_some(KeyPrincipal { key }) },
            );
            if conflict_challenge {
                cfg.challenge(|call| async move { call.respond(StatusCode::CONFLICT) });
            }
        });
    })
    .expect("valid configuration");
    let (protected, open) = routes();
    serve(auth, "api-key", false, protected, open).await
}

#[test]
fn api_key_without_validate_is_a_configuration_error_with_ktors_message() {
    let err = Authentication::configure(|cfg| {
        cfg.api_key("api-key", |_| {});
    })
    .unwrap_err();
    assert_eq!(err.key, "Authentication.api_key(\"api-key\").validate");
    assert_eq!(
        err.message,
        "API Key authentication requires a validate() function to be configured"
    );
}

#[tokio::test]
async fn open_route_answers_without_a_key_with_the_right_key_and_with_a_wrong_key() {
    let server = module(None, false).await;
    let c = client();
    for key in [None, Some("this-is-expected-key"), Some("wrong")] {
        let mut req = c.get(server.url("/open"));
        if let Some(k) = key {
            req = req.header("X-Api-Key", k);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "key {key:?}");
        assert_eq!(res.text().await.unwrap(), "open");
    }
}

#[tokio::test]
async fn right_key_in_the_default_header_answers_the_principal() {
    let server = module(None, false).await;
    let c = client();
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let res = c
            .request(method, server.url("/authenticated"))
            .header("X-Api-Key", "this-is-expected-key")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.text().await.unwrap(),
            r#"{"key":"this-is-expected-key"}"#
        );
    }
}

#[tokio::test]
async fn header_name_is_case_insensitive() {
    let server = module(None, false).await;
    let res = client()
        .get(server.url("/authenticated"))
        .header("x-api-KEY", "this-is-expected-key")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn wrong_key_is_401_with_empty_body_and_no_www_authenticate() {
    let server = module(None, false).await;
    let res = client()
        .get(server.url("/authenticated"))
        .header("X-Api-Key", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_none());
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn missing_key_is_the_same_401_as_a_wrong_one() {
    let server = module(None, false).await;
    let res = client()
        .get(server.url("/authenticated"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_none());
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn custom_header_name_and_challenge() {
    let server = module(Some("hello"), true).await;
    let c = client();
    let ok = c
        .get(server.url("/authenticated"))
        .header("hello", "world")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), r#"{"key":"world"}"#);
    let wrong = c
        .get(server.url("/authenticated"))
        .header("hello", "world-wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 409);
}

#[tokio::test]
async fn empty_header_value_is_passed_to_validate() {
    let auth = Authentication::configure(|cfg| {
        cfg.api_key("api-key", |cfg| {
            cfg.validate(
                |key| async move { key.is_empty().then(|| UserIdPrincipal::new("empty")) },
            );
        });
    })
    .unwrap();
    let routes = Router::new().route(
        "/",
        get(|Principal(p): Principal<UserIdPrincipal>| async move { p.name }),
    );
    let server = serve(auth, "api-key", false, routes, Router::new()).await;
    let res = client()
        .get(server.url("/"))
        .header("X-Api-Key", "")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "empty");
}

#[tokio::test]
async fn under_optional_a_missing_key_runs_the_route_and_a_wrong_key_is_401() {
    let auth = Authentication::configure(|cfg| {
        cfg.api_key("api-key", |cfg| {
            cfg.validate(ApiKeys::constant_time(["secret-key"]));
        });
    })
    .unwrap();
    let routes = Router::new().route(
        "/",
        get(|p: Option<Principal<UserIdPrincipal>>| async move {
            p.map_or("anonymous".to_owned(), |p| p.name.clone())
        }),
    );
    let server = serve(auth, "api-key", true, routes, Router::new()).await;
    let c = client();
    let missing = c.get(server.url("/")).send().await.unwrap();
    assert_eq!(missing.status(), 200);
    assert_eq!(missing.text().await.unwrap(), "anonymous");
    let wrong = c
        .get(server.url("/"))
        .header("X-Api-Key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = c
        .get(server.url("/"))
        .header("X-Api-Key", "secret-key")
        .send()
        .await
        .unwrap();
    assert_eq!(right.text().await.unwrap(), "secret-key");
}

#[tokio::test]
async fn constant_time_keys_accept_each_listed_key_only() {
    let auth = Authentication::configure(|cfg| {
        cfg.api_key("api-key", |cfg| {
            cfg.validate(ApiKeys::constant_time(["k1", "key-two"]));
        });
    })
    .unwrap();
    let routes = Router::new().route(
        "/",
        get(|Principal(p): Principal<UserIdPrincipal>| async move { p.name }),
    );
    let server = serve(auth, "api-key", false, routes, Router::new()).await;
    let c = client();
    for (key, status) in [
        ("k1", 200),
        ("key-two", 200),
        ("k", 401),
        ("k1x", 401),
        ("key-twO", 401),
    ] {
        let res = c
            .get(server.url("/"))
            .header("X-Api-Key", key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "key {key:?}");
    }
}

/// A `validate` that waits before answering `key == "slow-key"` (the layer's path for providers
/// that do not decide at once).
async fn waiting_validate_server() -> TestApplication {
    let auth = Authentication::configure(|cfg| {
        cfg.api_key("api-key", |cfg| {
            cfg.validate(|key| async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                (key == "slow-key").then(|| UserIdPrincipal::new(key))
            });
        });
    })
    .unwrap();
    let routes = Router::new().route(
        "/",
        get(|Principal(p): Principal<UserIdPrincipal>| async move { p.name }),
    );
    serve(auth, "api-key", false, routes, Router::new()).await
}

#[tokio::test]
async fn a_validate_that_waits_runs_the_route_once_it_accepts() {
    let server = waiting_validate_server().await;
    let res = client()
        .get(server.url("/"))
        .header("X-Api-Key", "slow-key")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "slow-key");
}

#[tokio::test]
async fn a_validate_that_waits_and_rejects_is_401() {
    let server = waiting_validate_server().await;
    let res = client()
        .get(server.url("/"))
        .header("X-Api-Key", "other")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.text().await.unwrap(), "");
}
