//! The client `Auth` plugin through `http_client!`, against a real server whose route checks
//! `Authorization` by hand: `install(Auth { bearer { load_tokens = .. refresh_tokens = .. } })`
//! and `install(Auth { basic { credentials = .. realm = ".." } })`.
#![cfg(feature = "client-auth")]
#![deny(warnings)]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use oxtor::{
    client::{Auth, BasicAuthCredentials, BearerAuthProvider, BearerTokens, HttpClient},
    http_client,
    testing::TestApplication,
    Application,
};

/// `GET /me` answers `200 <Authorization>` to `Bearer fresh` or Basic `jetbrains:foobar`, and
/// `401` with both challenges to anything else.
async fn server() -> TestApplication {
    async fn me(headers: HeaderMap) -> Response {
        let basic = BasicAuthCredentials::new("jetbrains", "foobar").header_value();
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some(a) if a == "Bearer fresh" || a == basic => a.to_owned().into_response(),
            _ => (
                StatusCode::UNAUTHORIZED,
                [(
                    "www-authenticate",
                    r#"Bearer realm="api", Basic realm="api""#,
                )],
            )
                .into_response(),
        }
    }
    let mut app = Application::new(());
    app.routing(Router::new().route("/me", get(me)))
        .expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

async fn body(client: &HttpClient, url: &str) -> String {
    tokio::time::timeout(Duration::from_secs(10), client.get(url).body::<String>())
        .await
        .expect("response in time")
        .expect("body")
}

#[tokio::test]
async fn bearer_block_loads_then_refreshes_once() {
    let server = server().await;
    let refreshes = Arc::new(AtomicUsize::new(0));
    let counted = refreshes.clone();
    let client = http_client! {
        install(Auth {
            bearer {
                load_tokens = || async { Some(BearerTokens::new("expired", "r1")) }
                refresh_tokens = {
                    let counted = counted.clone();
                    move |params| {
                        counted.fetch_add(1, Ordering::SeqCst);
                        async move {
                            let old = params.old_tokens?;
                            Some(BearerTokens::new("fresh", old.refresh_token?))
                        }
                    }
                }
                realm = "api"
            }
        })
    }
    .expect("client");

    assert_eq!(body(&client, &server.url("/me")).await, "Bearer fresh");
    assert_eq!(body(&client, &server.url("/me")).await, "Bearer fresh");
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    let bearer = client
        .auth_provider::<BearerAuthProvider>()
        .expect("one bearer provider");
    assert_eq!(
        bearer.tokens().get().and_then(|t| t.refresh_token),
        Some("r1".to_owned())
    );
}

#[tokio::test]
async fn basic_block_answers_the_challenge() {
    let server = server().await;
    let client = http_client! {
        install(Auth {
            basic {
                credentials = || async { Some(BasicAuthCredentials::new("jetbrains", "foobar")) }
                realm = "api"
                cache_tokens = false
            }
        })
    }
    .expect("client");

    assert_eq!(
        body(&client, &server.url("/me")).await,
        "Basic amV0YnJhaW5zOmZvb2Jhcg=="
    );
}
