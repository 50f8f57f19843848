//! `minimum_size` across codings, over real sockets: a body of known length shorter than every
//! coding's `minimum_size` (or the global one) is sent as is and, since no `Accept-Encoding`
//! could change it, without `Vary`; a body one coding's own `minimum_size` lets through is
//! encoded by that coding.
#![cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;

use axum::{routing::get, Router};
use compression_support::*;

/// `/100`: 100 bytes of text; `/13`: "Hello, world!".
fn sized() -> Router {
    Router::new()
        .route("/100", get(|| async { "x".repeat(100) }))
        .route("/13", get(|| async { "Hello, world!" }))
}

#[tokio::test]
async fn a_body_shorter_than_one_codings_minimum_is_encoded_by_a_coding_that_takes_it() {
    let server = serve(
        |cfg| {
            cfg.gzip(|cfg| {
                cfg.priority(1.0).minimum_size(1000);
            });
            cfg.zstd(|cfg| {
                cfg.priority(0.5).minimum_size(10);
            });
        },
        sized(),
    )
    .await;
    let res = call(&server, "/100", Some("gzip, zstd")).await;
    res.assert_encoded("zstd");
    assert_eq!(res.text(), "x".repeat(100));
}

#[tokio::test]
async fn a_body_shorter_than_every_codings_minimum_is_sent_as_is_without_vary() {
    let server = serve(
        |cfg| {
            cfg.zstd(|_| {}).gzip(|_| {});
        },
        sized(),
    )
    .await;
    for accept in [Some("zstd, gzip"), None] {
        let res = call(&server, "/13", accept).await;
        res.assert_plain();
        assert_eq!(res.header("vary"), None, "{accept:?}: {res:?}");
        assert_eq!(res.header("content-length"), Some("13"), "{accept:?}");
        assert_eq!(res.text(), "Hello, world!");
    }
}

#[tokio::test]
async fn a_body_under_the_global_minimum_is_sent_as_is_whatever_the_codings_allow() {
    let server = serve(
        |cfg| {
            cfg.minimum_size(500);
            cfg.zstd(|cfg| {
                cfg.minimum_size(10);
            });
        },
        sized(),
    )
    .await;
    let res = call(&server, "/100", Some("zstd")).await;
    res.assert_plain();
    assert_eq!(res.header("vary"), None, "{res:?}");
    assert_eq!(res.header("content-length"), Some("100"));
}
