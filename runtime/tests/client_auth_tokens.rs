//! The client `Auth` plugin's token cache, against a real oxtor server over real sockets
//! (`client_support::auth`): cached bearer tokens are loaded once, uncached ones for every
//! request; `clear_token` on a provider and `clear_auth_tokens` on the client make the next
//! request load fresh tokens (log out, and the next user logs in on the same client).
#![cfg(feature = "client-auth")]
mod client_support;

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, Mutex,
};

use axum::http::StatusCode;
use client_support::auth::{count, counter, lock, send, server, text, Peer};
use oxtor_runtime::client::{
    plugins::auth::{Auth, BasicAuthCredentials, BearerAuthProvider, BearerTokens},
    HttpClient,
};

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
