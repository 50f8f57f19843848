//! The client `Auth` plugin's refresh, against a real oxtor server over real sockets
//! (`client_support::auth`): one refresh shared by concurrent requests, failed and erroring
//! refreshes, which bodies and headers are replayed on the retry, the refresh request itself,
//! cancellable and non-cancellable refreshes, and what triggers a refresh (a 401 with or
//! without `WWW-Authenticate`, `re_authorize_on_response`).
#![cfg(feature = "client-auth")]
mod client_support;

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::http::StatusCode;
use client_support::auth::{count, counter, send, server, text, Peer};
use oxtor_runtime::client::{
    plugins::auth::{Auth, BasicAuthCredentials, BearerTokens},
    ClientError, HttpClient, RequestBody,
};

/// A bearer client that loads `Bearer expired` and refreshes to `Bearer fresh` after `delay`,
/// counting loads and refreshes.
fn expiring_bearer(
    delay: Duration,
    loads: Arc<AtomicUsize>,
    refreshes: Arc<AtomicUsize>,
) -> HttpClient {
    HttpClient::configure(move |cfg| {
        cfg.install(Auth, move |auth| {
            let (loads, refreshes) = (loads.clone(), refreshes.clone());
            auth.bearer(|b| {
                b.load_tokens(move || {
                    loads.fetch_add(1, Ordering::SeqCst);
                    async { Some(BearerTokens::new("expired", "refresh-1")) }
                });
                b.refresh_tokens(move |params| {
                    refreshes.fetch_add(1, Ordering::SeqCst);
                    async move {
                        tokio::time::sleep(delay).await;
                        let old = params.old_tokens?;
                        (old.refresh_token.as_deref() == Some("refresh-1"))
                            .then(|| BearerTokens::new("fresh", "refresh-2"))
                    }
                });
            });
        });
    })
    .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_against_an_expired_token_share_one_refresh() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let (loads, refreshes) = (counter(), counter());
    let client = expiring_bearer(Duration::from_millis(50), loads.clone(), refreshes.clone());
    let url = server.url("/r");

    let start = Arc::new(tokio::sync::Barrier::new(100));
    let calls = (0..100).map(|_| {
        let (client, url, start) = (client.clone(), url.clone(), start.clone());
        tokio::spawn(async move {
            start.wait().await;
            text(client.get(&url)).await
        })
    });
    let results = futures_util::future::join_all(calls).await;

    let ok = results
        .into_iter()
        .filter(|r| matches!(r, Ok((StatusCode::OK, body)) if body == "ok:Bearer fresh"))
        .count();
    assert_eq!(ok, 100);
    assert_eq!(count(&refreshes), 1);
    assert_eq!(count(&loads), 1);
    // Requests sent after the refresh carry the fresh token at once; each rejected one was
    // retried exactly once.
    let seen = peer.authorizations();
    let expired = seen
        .iter()
        .filter(|a| a.as_deref() == Some("Bearer expired"))
        .count();
    assert!(expired > 1, "the burst must overlap the refresh: {expired}");
    assert_eq!(seen.len(), 100 + expired);
}

#[tokio::test]
async fn a_failed_refresh_returns_the_original_401_after_one_request() {
    let peer = Peer::default();
    peer.challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let refreshes = counter();
    let counted = refreshes.clone();
    let client = HttpClient::configure(move |cfg| {
        let counted = counted.clone();
        cfg.install(Auth, move |auth| {
            let counted = counted.clone();
            auth.bearer(|b| {
                b.load_tokens(|| async { Some(BearerTokens::new("invalid", "invalid")) });
                b.refresh_tokens(move |_| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async { None::<BearerTokens> }
                });
            });
        });
    })
    .expect("client");

    let response = send(client.get(&server.url("/r"))).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Bearer realm="test""#)
    );
    assert_eq!(count(&refreshes), 1);
    assert_eq!(peer.authorizations(), [Some("Bearer invalid".to_owned())]);
}

#[tokio::test]
async fn a_streamed_body_is_not_replayed_and_its_401_is_returned() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let (loads, refreshes) = (counter(), counter());
    let client = expiring_bearer(Duration::ZERO, loads, refreshes);
    let (writer, body) = RequestBody::channel(4);
    let write = tokio::spawn(async move {
        writer.write("part-1 ").await?;
        writer.write("part-2").await?;
        writer.finish();
        Ok::<_, ClientError>(())
    });

    let response = send(client.post(&server.url("/upload")).body_from(body)).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(write.await.expect("writer task").is_ok());
    let seen = peer.seen();
    assert_eq!(seen.len(), 1, "no retry: {seen:?}");
    assert_eq!(seen[0].body, "part-1 part-2");
}

#[tokio::test]
async fn a_buffered_body_is_replayed_after_the_refresh() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let client = expiring_bearer(Duration::ZERO, counter(), counter());

    let (status, _) = text(client.post(&server.url("/upload")).text("payload")).await;

    assert_eq!(status, StatusCode::OK);
    let bodies: Vec<_> = peer.seen().into_iter().map(|s| s.body).collect();
    assert_eq!(bodies, ["payload", "payload"]);
}

#[tokio::test]
async fn the_retry_after_a_refresh_carries_the_request_headers_again() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let client = expiring_bearer(Duration::ZERO, counter(), counter());

    let statement = client
        .get(&server.url("/r"))
        .header("x-trace", "1")
        .header("x-trace", "2")
        .header("x-other", "o");
    let (status, body) = text(statement).await;

    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok:Bearer fresh"));
    let sent: Vec<_> = peer
        .seen()
        .into_iter()
        .map(|s| (s.authorization, s.x_headers))
        .collect();
    let own = vec!["x-trace=1", "x-trace=2", "x-other=o"];
    assert_eq!(
        sent,
        [
            (Some("Bearer expired".to_owned()), own.clone()),
            (Some("Bearer fresh".to_owned()), own),
        ]
        .map(|(a, h)| (a, h.into_iter().map(str::to_owned).collect::<Vec<_>>()))
    );
}

#[tokio::test]
async fn the_refresh_request_goes_without_credentials_and_its_401_is_not_retried() {
    let peer = Peer::default();
    peer.challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let token_url = server.url("/token");
    let client = HttpClient::configure(move |cfg| {
        let token_url = token_url.clone();
        cfg.install(Auth, move |auth| {
            let token_url = token_url.clone();
            auth.bearer(|b| {
                b.load_tokens(|| async { Some(BearerTokens::new("stale", "r")) });
                b.refresh_tokens(move |params| {
                    let token_url = token_url.clone();
                    async move {
                        let response = params
                            .client
                            .post(&token_url)
                            .mark_as_refresh_token_request()
                            .await?;
                        if response.status() != StatusCode::OK {
                            return Ok(None);
                        }
                        Ok::<_, ClientError>(Some(BearerTokens::access(response.text().await?)))
                    }
                });
            });
        });
    })
    .expect("client");

    let response = send(client.get(&server.url("/r"))).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let seen: Vec<_> = peer
        .seen()
        .into_iter()
        .map(|s| (s.path, s.authorization))
        .collect();
    assert_eq!(
        seen,
        [
            ("/r".to_owned(), Some("Bearer stale".to_owned())),
            ("/token".to_owned(), None)
        ]
    );
}

#[tokio::test]
async fn a_refresh_error_reaches_the_caller_and_the_next_call_refreshes_again() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let attempts = counter();
    let counted = attempts.clone();
    let client = HttpClient::configure(move |cfg| {
        let counted = counted.clone();
        cfg.install(Auth, move |auth| {
            let counted = counted.clone();
            auth.bearer(|b| {
                b.load_tokens(|| async { Some(BearerTokens::access("stale")) });
                b.refresh_tokens(move |_| {
                    let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
                    async move {
                        if first {
                            return Err("Refresh failed");
                        }
                        Ok(Some(BearerTokens::access("fresh")))
                    }
                });
            });
        });
    })
    .expect("client");

    let failed = tokio::time::timeout(Duration::from_secs(10), client.get(&server.url("/r")))
        .await
        .expect("in time");
    let (status, _) = text(client.get(&server.url("/r"))).await;

    match failed {
        Err(ClientError::Auth(e)) => assert_eq!(e.to_string(), "Refresh failed"),
        other => panic!("expected the refresh error, got {other:?}"),
    }
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&attempts), 2);
}

/// A bearer client whose refresh takes 200 ms and counts refreshes started and completed.
fn slow_refresh(
    non_cancellable: bool,
    started: Arc<AtomicUsize>,
    completed: Arc<AtomicUsize>,
) -> HttpClient {
    HttpClient::configure(move |cfg| {
        cfg.install(Auth, move |auth| {
            let (started, completed) = (started.clone(), completed.clone());
            auth.bearer(|b| {
                b.non_cancellable_refresh(non_cancellable);
                b.load_tokens(|| async { Some(BearerTokens::access("expired")) });
                b.refresh_tokens(move |_| {
                    started.fetch_add(1, Ordering::SeqCst);
                    let completed = completed.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        completed.fetch_add(1, Ordering::SeqCst);
                        Some(BearerTokens::access("fresh"))
                    }
                });
            });
        });
    })
    .expect("client")
}

#[tokio::test]
async fn a_non_cancellable_refresh_completes_after_its_request_is_dropped() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let (started, completed) = (counter(), counter());
    let client = slow_refresh(true, started.clone(), completed.clone());

    let dropped =
        tokio::time::timeout(Duration::from_millis(100), client.get(&server.url("/r"))).await;
    assert!(
        dropped.is_err(),
        "the first request is cancelled mid-refresh"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body) = text(client.get(&server.url("/r"))).await;

    assert_eq!(count(&completed), 1);
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok:Bearer fresh"));
    assert_eq!(
        count(&started),
        1,
        "the stored token is used, no second refresh"
    );
}

#[tokio::test]
async fn a_cancellable_refresh_stops_with_its_request() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    let (started, completed) = (counter(), counter());
    let client = slow_refresh(false, started.clone(), completed.clone());

    let dropped =
        tokio::time::timeout(Duration::from_millis(100), client.get(&server.url("/r"))).await;
    assert!(
        dropped.is_err(),
        "the first request is cancelled mid-refresh"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;

    assert_eq!((count(&started), count(&completed)), (1, 0));
}

#[tokio::test]
async fn one_provider_refreshes_on_a_401_without_www_authenticate() {
    let peer = Peer::default();
    peer.accept("Bearer fresh");
    let server = server(&peer).await;
    let client = expiring_bearer(Duration::ZERO, counter(), counter());

    let (status, _) = text(client.get(&server.url("/r"))).await;

    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn two_providers_do_not_refresh_on_a_401_without_www_authenticate() {
    let peer = Peer::default();
    peer.accept("Bearer fresh");
    let server = server(&peer).await;
    let refreshes = counter();
    let counted = refreshes.clone();
    let client = HttpClient::configure(move |cfg| {
        let counted = counted.clone();
        cfg.install(Auth, move |auth| {
            let counted = counted.clone();
            auth.bearer(|b| {
                b.load_tokens(|| async { Some(BearerTokens::access("expired")) });
                b.refresh_tokens(move |_| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async { Some(BearerTokens::access("fresh")) }
                });
            });
            auth.basic(|b| {
                b.credentials(|| async { Some(BasicAuthCredentials::new("u", "p")) });
            });
        });
    })
    .expect("client");

    let response = send(client.get(&server.url("/r"))).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(count(&refreshes), 0);
    assert_eq!(peer.seen().len(), 1);
}

/// A bearer client that refreshes `expired` to `fresh` when the response is a 403.
fn refreshing_on_403(refreshes: Arc<AtomicUsize>) -> HttpClient {
    HttpClient::configure(move |cfg| {
        cfg.install(Auth, move |auth| {
            let refreshes = refreshes.clone();
            auth.re_authorize_on_response(|r| r.status() == StatusCode::FORBIDDEN);
            auth.bearer(|b| {
                b.load_tokens(|| async { Some(BearerTokens::access("expired")) });
                b.refresh_tokens(move |_| {
                    refreshes.fetch_add(1, Ordering::SeqCst);
                    async { Some(BearerTokens::access("fresh")) }
                });
            });
        });
    })
    .expect("client")
}

#[tokio::test]
async fn re_authorize_on_response_refreshes_on_what_it_selects() {
    let peer = Peer::default();
    peer.accept("Bearer fresh");
    let server = server(&peer).await;
    let refreshes = counter();
    let client = refreshing_on_403(refreshes.clone());

    let (status, _) = text(client.get(&server.url("/forbidden/r"))).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&refreshes), 1);
}

#[tokio::test]
async fn re_authorize_on_response_replaces_the_401_default() {
    let peer = Peer::default();
    peer.accept("Bearer fresh");
    let server = server(&peer).await;
    let refreshes = counter();
    let client = refreshing_on_403(refreshes.clone());

    let response = send(client.get(&server.url("/r"))).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(count(&refreshes), 0);
}

#[tokio::test]
async fn a_client_without_tokens_refreshes_through_itself_without_deadlock() {
    let peer = Peer::default();
    peer.accept("Bearer fresh")
        .challenge(r#"Bearer realm="test""#);
    let server = server(&peer).await;
    // The token endpoint answers anyone; the refresh asks it through the client being
    // refreshed, unmarked (Ktor's `testRefreshWithSameClient`), while no token is held.
    let mut tokens = oxtor_runtime::Application::new(());
    tokens
        .routing(axum::Router::new().route("/token", axum::routing::get(|| async { "fresh" })))
        .expect("routes");
    let tokens = oxtor_runtime::testing::TestApplication::start(tokens)
        .await
        .expect("token server starts");
    let token_url = tokens.url("/token");
    let client = HttpClient::configure(move |cfg| {
        let token_url = token_url.clone();
        cfg.install(Auth, move |auth| {
            let token_url = token_url.clone();
            auth.bearer(|b| {
                b.load_tokens(|| async { None::<BearerTokens> });
                b.refresh_tokens(move |params| {
                    let token_url = token_url.clone();
                    async move {
                        let token = params.client.get(&token_url).await?.text().await?;
                        Ok::<_, ClientError>(Some(BearerTokens::access(token)))
                    }
                });
            });
        });
    })
    .expect("client");

    let (status, body) = text(client.get(&server.url("/r"))).await;

    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok:Bearer fresh"));
}
