//! The client `Auth` plugin against a real oxtor server over real sockets. The server's routes
//! check `Authorization` by hand: a request carrying an accepted value gets `200 ok:<value>`,
//! any other gets `401` with the configured `WWW-Authenticate` challenge; every request is
//! logged, so tests count what went over the wire.
#![cfg(feature = "client-auth")]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::any,
    Router,
};
use oxtor_runtime::{
    client::{
        plugins::auth::{
            Auth, BasicAuthCredentials, BasicAuthProvider, BearerAuthProvider, BearerTokens,
        },
        ClientError, HttpClient, HttpResponse, HttpStatement, RequestBody,
    },
    testing::TestApplication,
    Application,
};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    /// The `x-*` headers as `name=value`, in the order they arrived.
    x_headers: Vec<String>,
    body: Bytes,
}

/// The server's rules and its request log.
#[derive(Clone, Default)]
struct Peer {
    accepted: Arc<Mutex<Vec<String>>>,
    challenge: Arc<Mutex<Option<String>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Peer {
    fn accept(&self, authorization: &str) -> &Self {
        lock(&self.accepted).push(authorization.to_owned());
        self
    }
    fn challenge(&self, value: &str) -> &Self {
        *lock(&self.challenge) = Some(value.to_owned());
        self
    }
    fn seen(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }
    fn authorizations(&self) -> Vec<Option<String>> {
        self.seen().into_iter().map(|s| s.authorization).collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn check(State(peer): State<Peer>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let x_headers = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-"))
        .map(|(name, value)| format!("{name}={}", value.to_str().unwrap_or("<not text>")))
        .collect();
    lock(&peer.seen).push(Seen {
        path: uri.path().to_owned(),
        authorization: authorization.clone(),
        x_headers,
        body,
    });
    // `/forbidden/..` rejects with 403 instead of 401.
    let rejection = if uri.path().starts_with("/forbidden") {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNAUTHORIZED
    };
    match authorization {
        Some(a) if lock(&peer.accepted).contains(&a) => format!("ok:{a}").into_response(),
        _ => match lock(&peer.challenge).clone() {
            Some(c) => (rejection, [("www-authenticate", c)]).into_response(),
            None => rejection.into_response(),
        },
    }
}

async fn server(peer: &Peer) -> TestApplication {
    let mut app = Application::new(peer.clone());
    app.routing(Router::new().route("/{*path}", any(check)))
        .expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

/// Sends `statement`, bounded in time.
async fn send(statement: HttpStatement) -> HttpResponse {
    tokio::time::timeout(Duration::from_secs(10), statement)
        .await
        .expect("response in time")
        .expect("response")
}

async fn text(statement: HttpStatement) -> (StatusCode, String) {
    let response = send(statement).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// A counter and a closure-friendly clone of it.
fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn count(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}

/// A bearer client whose `load_tokens` returns `token<n>` for the n-th call.
fn numbered_bearer(cache: bool, loads: Arc<AtomicUsize>) -> HttpClient {
    HttpClient::configure(move |cfg| {
        cfg.install(Auth, move |auth| {
            let loads = loads.clone();
            auth.bearer(|b| {
                b.cache_tokens(cache);
                b.load_tokens(move || {
                    let n = loads.fetch_add(1, Ordering::SeqCst) + 1;
                    async move { Some(BearerTokens::access(format!("token{n}"))) }
                });
            });
        });
    })
    .expect("client")
}

#[tokio::test]
async fn cached_bearer_tokens_are_loaded_once() {
    let peer = Peer::default();
    peer.accept("Bearer token1");
    let server = server(&peer).await;
    let loads = counter();
    let client = numbered_bearer(true, loads.clone());

    for _ in 0..3 {
        assert_eq!(
            text(client.get(&server.url("/r"))).await,
            (StatusCode::OK, "ok:Bearer token1".to_owned())
        );
    }

    assert_eq!(count(&loads), 1);
}

#[tokio::test]
async fn uncached_bearer_tokens_are_loaded_for_every_request() {
    let peer = Peer::default();
    let server = server(&peer).await;
    let loads = counter();
    let client = numbered_bearer(false, loads.clone());

    for _ in 0..3 {
        send(client.get(&server.url("/r"))).await;
    }

    assert_eq!(count(&loads), 3);
    let sent: Vec<_> = peer.authorizations().into_iter().flatten().collect();
    assert_eq!(sent, ["Bearer token1", "Bearer token2", "Bearer token3"]);
}

#[tokio::test]
async fn clear_token_makes_the_next_request_load_fresh_tokens() {
    let peer = Peer::default();
    let server = server(&peer).await;
    let loads = counter();
    let client = numbered_bearer(true, loads.clone());

    send(client.get(&server.url("/r"))).await;
    send(client.get(&server.url("/r"))).await;
    let bearer = client
        .auth_provider::<BearerAuthProvider>()
        .expect("one bearer provider");
    bearer.clear_token();
    send(client.get(&server.url("/r"))).await;

    assert_eq!(count(&loads), 2);
    let sent: Vec<_> = peer.authorizations().into_iter().flatten().collect();
    assert_eq!(sent, ["Bearer token1", "Bearer token1", "Bearer token2"]);
}

#[tokio::test]
async fn clear_auth_tokens_logs_out_so_the_next_user_logs_in_on_the_same_client() {
    let peer = Peer::default();
    let alice = BasicAuthCredentials::new("alice", "a-pass").header_value();
    let bob = BasicAuthCredentials::new("bob", "b-pass").header_value();
    peer.accept("Bearer alice-token")
        .accept(&alice)
        .accept(&bob)
        .accept("Bearer bob-token");
    let server = server(&peer).await;
    let user = Arc::new(Mutex::new("alice"));
    let store = user.clone();
    let client = HttpClient::configure(move |cfg| {
        let store = store.clone();
        cfg.install(Auth, move |auth| {
            let (bearer_store, basic_store) = (store.clone(), store.clone());
            auth.bearer(|b| {
                b.send_without_request(|req| req.url_ref().path().starts_with("/bearer"));
                b.load_tokens(move || {
                    let who = *lock(&bearer_store);
                    async move { Some(BearerTokens::access(format!("{who}-token"))) }
                });
            });
            auth.basic(|b| {
                b.send_without_request(|req| req.url_ref().path().starts_with("/basic"));
                b.credentials(move || {
                    let who = *lock(&basic_store);
                    async move {
                        Some(BasicAuthCredentials::new(
                            who,
                            format!("{}-pass", &who[..1]),
                        ))
                    }
                });
            });
        });
    })
    .expect("client");

    assert_eq!(
        text(client.get(&server.url("/bearer"))).await.1,
        "ok:Bearer alice-token"
    );
    assert_eq!(
        text(client.get(&server.url("/basic"))).await.1,
        format!("ok:{alice}")
    );
    *lock(&user) = "bob";
    client.clear_auth_tokens();

    assert_eq!(
        text(client.get(&server.url("/bearer"))).await.1,
        "ok:Bearer bob-token"
    );
    assert_eq!(
        text(client.get(&server.url("/basic"))).await.1,
        format!("ok:{bob}")
    );
}

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
async fn basic_credentials_are_sent_only_after_the_challenge_encoded_as_utf8() {
    let peer = Peer::default();
    let credentials = BasicAuthCredentials::new("UmlauteÄüö", "a&Secret%!23");
    peer.accept("Basic VW1sYXV0ZcOEw7zDtjphJlNlY3JldCUhMjM=")
        .challenge(r#"Basic realm="test", charset="UTF-8""#);
    let server = server(&peer).await;
    let client = HttpClient::configure(move |cfg| {
        let credentials = credentials.clone();
        cfg.install(Auth, move |auth| {
            let credentials = credentials.clone();
            auth.basic(|b| {
                b.realm("test");
                b.credentials(move || {
                    let c = credentials.clone();
                    async move { Some(c) }
                });
            });
        });
    })
    .expect("client");

    let (status, _) = text(client.get(&server.url("/r"))).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        peer.authorizations(),
        [
            None,
            Some("Basic VW1sYXV0ZcOEw7zDtjphJlNlY3JldCUhMjM=".to_owned())
        ]
    );
}

#[tokio::test]
async fn basic_does_not_answer_a_challenge_for_another_realm() {
    let peer = Peer::default();
    peer.challenge(r#"Basic realm="other""#);
    let server = server(&peer).await;
    let client = HttpClient::configure(|cfg| {
        cfg.install(Auth, |auth| {
            auth.bearer(|b| {
                b.send_without_request(|_| false);
            });
            auth.basic(|b| {
                b.realm("test");
                b.credentials(|| async { Some(BasicAuthCredentials::new("u", "p")) });
            });
        });
    })
    .expect("client");

    let response = send(client.get(&server.url("/r"))).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(peer.seen().len(), 1);
}

#[tokio::test]
async fn credentials_pinned_to_the_first_host_never_reach_another_host() {
    let (home, elsewhere) = (Peer::default(), Peer::default());
    home.accept("Bearer token1");
    elsewhere.challenge(r#"Bearer realm="test""#);
    let (home_server, other_server) = (server(&home).await, server(&elsewhere).await);
    let base = home_server.url("/api/");
    let loads = counter();
    let counted = loads.clone();
    let client = HttpClient::configure(move |cfg| {
        cfg.default_request(move |d| {
            d.url(&base);
        });
        let counted = counted.clone();
        cfg.install(Auth, move |auth| {
            let counted = counted.clone();
            auth.bearer(|b| {
                b.load_tokens(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async { Some(BearerTokens::access("token1")) }
                });
                b.refresh_tokens(|_| async { Some(BearerTokens::access("token2")) });
            });
        });
    })
    .expect("client");

    let (status, _) = text(client.get("me")).await;
    assert_eq!(status, StatusCode::OK);
    let response = send(client.get(&other_server.url("/steal"))).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        elsewhere.authorizations(),
        [None],
        "no credentials, no retry"
    );
    assert_eq!(home.authorizations(), [Some("Bearer token1".to_owned())]);
}

#[tokio::test]
async fn listed_hosts_all_get_the_credentials() {
    let (first, second) = (Peer::default(), Peer::default());
    let (a, b) = (server(&first).await, server(&second).await);
    let hosts = [a.addr().to_string(), b.addr().to_string()];
    let client = HttpClient::configure(move |cfg| {
        let hosts = hosts.clone();
        cfg.install(Auth, move |auth| {
            auth.bearer(|b| {
                b.hosts(&hosts);
                b.load_tokens(|| async { Some(BearerTokens::access("t")) });
            });
        });
    })
    .expect("client");

    send(client.get(&a.url("/x"))).await;
    send(client.get(&b.url("/y"))).await;

    assert_eq!(first.authorizations(), [Some("Bearer t".to_owned())]);
    assert_eq!(second.authorizations(), [Some("Bearer t".to_owned())]);
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

#[tokio::test]
async fn the_provider_matching_a_later_challenge_answers_it() {
    let peer = Peer::default();
    let basic = BasicAuthCredentials::new("u", "p").header_value();
    peer.accept(&basic)
        .challenge(r#"Digest realm="d", nonce="n", Basic realm="test""#);
    let server = server(&peer).await;
    let client = HttpClient::configure(|cfg| {
        cfg.install(Auth, |auth| {
            auth.bearer(|b| {
                b.send_without_request(|_| false);
            });
            auth.basic(|b| {
                b.credentials(|| async { Some(BasicAuthCredentials::new("u", "p")) });
            });
        });
    })
    .expect("client");

    let (status, body) = text(client.get(&server.url("/r"))).await;

    assert_eq!((status, body), (StatusCode::OK, format!("ok:{basic}")));
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

#[test]
fn auth_provider_is_none_without_auth() {
    let client = HttpClient::new().expect("client");

    assert!(client.auth_providers().is_empty());
    assert!(client.auth_provider::<BearerAuthProvider>().is_none());
}

#[test]
fn auth_provider_finds_the_only_provider_of_a_type() {
    let client = HttpClient::configure(|cfg| {
        cfg.install(Auth, |auth| {
            auth.bearer(|_| {});
            auth.basic(|_| {});
        });
    })
    .expect("client");

    assert!(client.auth_provider::<BearerAuthProvider>().is_some());
    assert!(client.auth_provider::<BasicAuthProvider>().is_some());
}

#[test]
fn auth_provider_is_none_with_two_providers_of_a_type() {
    let client = HttpClient::configure(|cfg| {
        cfg.install(Auth, |auth| {
            auth.bearer(|_| {});
        });
        cfg.install(Auth, |auth| {
            auth.bearer(|_| {});
            auth.basic(|_| {});
        });
    })
    .expect("client");

    assert_eq!(client.auth_providers().len(), 3);
    assert!(client.auth_provider::<BearerAuthProvider>().is_none());
    assert!(client.auth_provider::<BasicAuthProvider>().is_some());
}
