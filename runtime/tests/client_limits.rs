//! Client hardening over real sockets: response bodies collected whole are bounded (a client-wide
//! default, overridable per call) and bad URLs fail with a clear error instead of falling back
//! to a default port or host.
#![cfg(feature = "client")]

mod client_support;

use axum::{body::Body, routing::get, Router};
use bytes::Bytes;
use client_support::{bounded, serve, TestServer};
use futures_util::StreamExt;
use oxtor_runtime::client::{ClientError, HttpClient};

const MIB: usize = 1024 * 1024;

/// `GET /streamed/{n}`: `n` MiB in 64 KiB chunks, without `Content-Length`;
/// `GET /sized/{n}`: `n` MiB with `Content-Length`.
async fn server() -> TestServer {
    let router =
        Router::new()
            .route(
                "/streamed/{n}",
                get(
                    |axum::extract::Path(n): axum::extract::Path<usize>| async move {
                        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
                        let stream = futures_util::stream::iter(0..n * 16)
                            .map(move |_| Ok::<_, std::io::Error>(chunk.clone()));
                        Body::from_stream(stream)
                    },
                ),
            )
            .route(
                "/sized/{n}",
                get(
                    |axum::extract::Path(n): axum::extract::Path<usize>| async move {
                        vec![b'x'; n * MIB]
                    },
                ),
            );
    serve("127.0.0.1", router, vec![]).await
}

fn limited_client(bytes: u64) -> HttpClient {
    HttpClient::configure(|cfg| {
        cfg.max_body_size(bytes);
    })
    .expect("client")
}

fn assert_too_large<T: std::fmt::Debug>(result: Result<T, ClientError>, limit: u64) {
    match result {
        Err(e @ ClientError::BodyTooLarge { .. }) => {
            assert!(matches!(e, ClientError::BodyTooLarge { limit: l } if l == limit));
            assert!(e.to_string().contains(&limit.to_string()), "{e}");
        }
        other => panic!("expected BodyTooLarge {{ limit: {limit} }}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_streamed_body_over_the_client_limit_fails_naming_the_limit() {
    let server = server().await;
    let client = limited_client(MIB as u64);

    let result = bounded(30, client.get(&server.url("/streamed/2")).body::<Bytes>()).await;

    assert_too_large(result, MIB as u64);
}

#[tokio::test]
async fn a_declared_content_length_over_the_limit_fails_too() {
    let server = server().await;
    let client = limited_client(MIB as u64);

    let result = bounded(30, client.get(&server.url("/sized/2")).body::<String>()).await;

    assert_too_large(result, MIB as u64);
}

#[tokio::test]
async fn a_per_call_limit_overrides_the_client_default() {
    let server = server().await;
    let client = limited_client(MIB as u64);

    let body = bounded(
        30,
        client
            .get(&server.url("/streamed/2"))
            .max_body_size(4 * MIB as u64)
            .body::<Bytes>(),
    )
    .await
    .expect("within the per-call limit");

    assert_eq!(body.len(), 2 * MIB);
}

#[tokio::test]
async fn a_limit_set_on_the_response_applies_to_text_and_json() {
    let server = server().await;
    let client = HttpClient::new().expect("client");

    let response = bounded(30, client.get(&server.url("/sized/1")).send())
        .await
        .expect("response");
    let text = bounded(30, response.max_body_size(1000).text()).await;
    assert_too_large(text, 1000);

    let response = bounded(30, client.get(&server.url("/streamed/1")).send())
        .await
        .expect("response");
    let json = bounded(30, response.max_body_size(1000).json::<serde_json::Value>()).await;
    assert_too_large(json, 1000);
}

/// Sends `GET url` and returns the `InvalidUrl` reason.
async fn invalid_url_reason(url: &str) -> String {
    let client = HttpClient::new().expect("client");
    match bounded(10, client.get(url).send()).await {
        Err(ClientError::InvalidUrl { reason, .. }) => reason,
        other => panic!("{url}: expected InvalidUrl, got {other:?}"),
    }
}

#[tokio::test]
async fn a_port_out_of_range_fails_instead_of_using_the_default_port() {
    assert_eq!(
        invalid_url_reason("http://127.0.0.1:99999/hello").await,
        "port `99999` is not in 1..=65535"
    );
}

#[tokio::test]
async fn an_empty_host_fails_instead_of_going_to_localhost() {
    assert_eq!(
        invalid_url_reason("http:///hello").await,
        "the host is empty"
    );
}

#[tokio::test]
async fn an_unsupported_scheme_fails() {
    assert_eq!(
        invalid_url_reason("ftp://127.0.0.1/file").await,
        "unsupported scheme `ftp`: the client speaks `http` and `https`"
    );
}
