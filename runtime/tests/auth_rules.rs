//! Ktor's authentication machinery (`AuthenticationTest`, ktor-semantics §0.2) and the Basic
//! and Bearer providers, one behaviour per test over real sockets: providers tried in order,
//! first principal wins, `InvalidCredentials` challenges before `NoCredentials`, then `Error`
//! causes, `optional`, and start-up errors for unknown providers.
#![cfg(feature = "auth")]
mod auth_support;

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use auth_support::{client, serve};
use axum::{routing::get, Router};
use futures_util::future::BoxFuture;
use oxtor_runtime::plugins::auth::{
    AuthContext, AuthError, AuthenticateLayer, Authentication, AuthenticationFailedCause,
    AuthenticationProvider, Challenge, Failure, Principal, ProviderName, UserIdPrincipal,
};

fn name_route() -> Router {
    Router::new().route(
        "/",
        get(|Principal(p): Principal<UserIdPrincipal>| async move { p.name }),
    )
}

fn basic_and_bearer() -> Authentication {
    Authentication::configure(|cfg| {
        cfg.basic("basic", |cfg| {
            cfg.realm("ktor");
            cfg.validate(|c| async move {
                (c.name == "user" && c.password == "pass").then(|| UserIdPrincipal::new(c.name))
            });
        });
        cfg.bearer("bearer", |cfg| {
            cfg.realm("api");
            cfg.validate(|t| async move {
                (t == "token1").then(|| UserIdPrincipal::new("bearer-user"))
            });
        });
    })
    .unwrap()
}

/// A provider that always fails with an `Error` cause; `challenge` adds a header and responds
/// 403 when set.
struct Failing {
    respond: bool,
}

impl AuthenticationProvider for Failing {
    fn authenticate<'a>(&'a self, _cx: &'a mut AuthContext) -> BoxFuture<'a, Result<(), Failure>> {
        let respond = self.respond;
        Box::pin(async move {
            let cause = AuthenticationFailedCause::Error(AuthError::new("backend down"));
            if respond {
                Err(Failure::with_challenge(
                    cause,
                    Challenge::new(|call| async move {
                        call.respond((axum::http::StatusCode::FORBIDDEN, "error challenge"))
                    }),
                ))
            } else {
                Err(Failure::new(cause))
            }
        })
    }
}

#[tokio::test]
async fn basic_credentials_in_utf8_reach_validate() {
    let auth = Authentication::configure(|cfg| {
        cfg.basic("b", |cfg| {
            cfg.validate(|c| async move {
                (c.name == "jürgen" && c.password == "pässwörd")
                    .then(|| UserIdPrincipal::new(c.name))
            });
        });
    })
    .unwrap();
    let server = serve(auth, "b", false, name_route(), Router::new()).await;
    let res = client()
        .get(server.url("/"))
        .basic_auth("jürgen", Some("pässwörd"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "jürgen");
}

#[tokio::test]
async fn basic_challenge_carries_realm_and_charset() {
    let server = serve(
        basic_and_bearer(),
        "basic",
        false,
        name_route(),
        Router::new(),
    )
    .await;
    let res = client()
        .get(server.url("/"))
        .basic_auth("user", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Basic realm=\"ktor\", charset=\"UTF-8\""
    );
}

#[tokio::test]
async fn bearer_challenge_carries_realm_and_valid_token_passes() {
    let server = serve(
        basic_and_bearer(),
        "bearer",
        false,
        name_route(),
        Router::new(),
    )
    .await;
    let c = client();
    let denied = c
        .get(server.url("/"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert_eq!(denied.headers()["www-authenticate"], "Bearer realm=\"api\"");
    let ok = c
        .get(server.url("/"))
        .bearer_auth("token1")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.text().await.unwrap(), "bearer-user");
}

#[tokio::test]
async fn first_provider_with_a_principal_wins_and_later_ones_do_not_run() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let auth = Authentication::configure(|cfg| {
        cfg.api_key("first", |cfg| {
            cfg.validate(|k| async move { Some(UserIdPrincipal::new(format!("first:{k}"))) });
        });
        cfg.api_key("second", |cfg| {
            cfg.validate(move |k| {
                counted.fetch_add(1, Ordering::SeqCst);
                async move { Some(UserIdPrincipal::new(format!("second:{k}"))) }
            });
        });
    })
    .unwrap();
    let server = serve(
        auth,
        ("first", "second"),
        false,
        name_route(),
        Router::new(),
    )
    .await;
    let res = client()
        .get(server.url("/"))
        .header("X-Api-Key", "k")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "first:k");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_later_provider_authenticates_when_an_earlier_one_fails() {
    let server = serve(
        basic_and_bearer(),
        ("basic", "bearer"),
        false,
        name_route(),
        Router::new(),
    )
    .await;
    let res = client()
        .get(server.url("/"))
        .bearer_auth("token1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "bearer-user");
}

#[tokio::test]
async fn invalid_credentials_challenge_answers_before_a_no_credentials_one() {
    // basic: NoCredentials (first in order); bearer: InvalidCredentials → bearer's challenge.
    let server = serve(
        basic_and_bearer(),
        ("basic", "bearer"),
        false,
        name_route(),
        Router::new(),
    )
    .await;
    let res = client()
        .get(server.url("/"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"api\"");
}

#[tokio::test]
async fn without_credentials_the_first_providers_challenge_answers() {
    let server = serve(
        basic_and_bearer(),
        ("basic", "bearer"),
        false,
        name_route(),
        Router::new(),
    )
    .await;
    let res = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Basic realm=\"ktor\", charset=\"UTF-8\""
    );
}

#[tokio::test]
async fn optional_without_credentials_runs_the_route_without_a_principal() {
    let routes =
        Router::new().route(
            "/",
            get(|p: Option<Principal<UserIdPrincipal>>| async move {
                format!("{:?}", p.map(|p| p.0.name))
            }),
        );
    let server = serve(
        basic_and_bearer(),
        ("basic", "bearer"),
        true,
        routes,
        Router::new(),
    )
    .await;
    let c = client();
    let none = c.get(server.url("/")).send().await.unwrap();
    assert_eq!(none.text().await.unwrap(), "None");
    let invalid = c
        .get(server.url("/"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 401);
}

#[tokio::test]
async fn error_cause_without_a_challenge_is_401_with_empty_body() {
    let auth = Authentication::configure(|cfg| {
        cfg.provider("failing", Failing { respond: false });
    })
    .unwrap();
    let server = serve(auth, "failing", false, name_route(), Router::new()).await;
    let res = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn error_challenges_run_only_when_no_regular_challenge_exists() {
    let auth = Authentication::configure(|cfg| {
        cfg.provider("failing", Failing { respond: true });
        cfg.api_key("key", |cfg| {
            cfg.validate(|_k| async move { None::<UserIdPrincipal> });
        });
    })
    .unwrap();
    let both = serve(
        auth.clone(),
        ("failing", "key"),
        false,
        name_route(),
        Router::new(),
    )
    .await;
    let res = client().get(both.url("/")).send().await.unwrap();
    // The API key's NoCredentials challenge (401) wins over the Error challenge (403).
    assert_eq!(res.status(), 401);
    let alone = serve(auth, "failing", false, name_route(), Router::new()).await;
    let res = client().get(alone.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.text().await.unwrap(), "error challenge");
}

#[tokio::test]
async fn optional_suppresses_error_causes() {
    let auth = Authentication::configure(|cfg| {
        cfg.provider("failing", Failing { respond: true });
    })
    .unwrap();
    let routes = Router::new().route(
        "/",
        get(|p: Option<Principal<UserIdPrincipal>>| async move { format!("{}", p.is_some()) }),
    );
    let server = serve(auth, "failing", true, routes, Router::new()).await;
    let res = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "false");
}

#[tokio::test]
async fn principal_outside_authenticate_is_401() {
    let auth = basic_and_bearer();
    let protected = Router::new().route("/p", get(|| async { "p" }));
    let server = serve(auth, "basic", false, protected, name_route()).await;
    let res = client().get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn unnamed_provider_is_the_default_one() {
    let auth = Authentication::configure(|cfg| {
        cfg.api_key(None, |cfg| {
            cfg.validate(|k| async move { Some(UserIdPrincipal::new(k)) });
        });
    })
    .unwrap();
    let server = serve(auth, None, false, name_route(), Router::new()).await;
    let res = client()
        .get(server.url("/"))
        .header("X-Api-Key", "dflt")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "dflt");
}

#[test]
fn unknown_provider_is_an_error_listing_the_installed_names() {
    let err = AuthenticateLayer::new(basic_and_bearer().registry(), ("bearer", "jwt"), false)
        .unwrap_err();
    assert_eq!(err.missing, ProviderName::from("jwt"));
    assert_eq!(
        err.to_string(),
        "authenticate(\"bearer\", \"jwt\"): no authentication provider `jwt` is installed (installed: \"basic\", \"bearer\")"
    );
    let err = AuthenticateLayer::new(basic_and_bearer().registry(), None, false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "authenticate(None): no default (unnamed) authentication provider is installed (installed: \"basic\", \"bearer\")"
    );
}

#[test]
fn provider_name_used_twice_is_a_configuration_error() {
    let err = Authentication::configure(|cfg| {
        cfg.bearer("x", |cfg| {
            cfg.validate(|_t| async move { None::<UserIdPrincipal> });
        });
        cfg.basic("x", |cfg| {
            cfg.validate(|_c| async move { None::<UserIdPrincipal> });
        });
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Authentication.basic(\"x\"): a provider named \"x\" is already registered"
    );
}
