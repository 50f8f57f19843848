//! The client `Auth` plugin's providers, against a real oxtor server over real sockets
//! (`client_support::auth`): Basic credentials sent after the challenge and only for their
//! realm, the provider matching a challenge answering it, credentials kept to their hosts, and
//! finding a provider on the client by type.
#![cfg(feature = "client-auth")]
mod client_support;

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use client_support::auth::{counter, send, server, text, Peer};
use oxtor_runtime::client::{
    plugins::auth::{
        Auth, BasicAuthCredentials, BasicAuthProvider, BearerAuthProvider, BearerTokens,
    },
    HttpClient,
};

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
