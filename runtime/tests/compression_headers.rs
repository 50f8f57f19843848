//! Ktor's `CompressionTest` list (ktor-semantics §2.4), response half, ported one behaviour per
//! test over real sockets, adapted where oxtor deliberately differs (see the module docs of
//! `oxtor_runtime::plugins::compression`): the headers of a compressed response. `Vary`, HEAD
//! answered with the headers GET would get (also for a streamed GET) and no body, the status
//! kept, validators kept (a weak ETag for the encoded representation) and 304 sent as is.
#![cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;

use axum::{
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use compression_support::*;
use http::Method;
use oxtor_runtime::testing::TestApplication;

#[tokio::test]
async fn vary_header_present_when_compressing() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        text_route(),
    )
    .await;
    let res = call(&server, "/", Some("gzip")).await;
    res.assert_encoded("gzip");
    assert_eq!(res.text(), text());
}

/// The headers of `method /` with `Accept-Encoding: zstd`, sent through `TestApplication`'s
/// request builder.
async fn headers_of(server: &TestApplication, method: http::Method) -> (StatusCode, HeaderMap) {
    let res = server
        .request(method, "/")
        .header("accept-encoding", "zstd")
        .send()
        .await
        .expect("response");
    (res.status(), res.headers().clone())
}

#[tokio::test]
async fn head_carries_the_headers_get_would() {
    let server = serve(
        |cfg| {
            cfg.zstd(|_| {});
        },
        text_route(),
    )
    .await;
    let (get_status, get) = headers_of(&server, http::Method::GET).await;
    let (head_status, head) = headers_of(&server, http::Method::HEAD).await;
    assert_eq!((get_status, head_status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        get.get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"zstd"[..])
    );
    for name in ["content-encoding", "vary", "content-length", "content-type"] {
        assert_eq!(
            head.get(name),
            get.get(name),
            "{name}: HEAD {head:?} GET {get:?}"
        );
    }
}

#[tokio::test]
async fn head_of_a_streamed_get_keeps_vary() {
    let server = serve(
        |cfg| {
            cfg.zstd(|_| {});
        },
        streamed("a streamed body of unknown length"),
    )
    .await;
    let (_, get) = headers_of(&server, http::Method::GET).await;
    let (_, head) = headers_of(&server, http::Method::HEAD).await;
    assert_eq!(
        get.get("vary").map(|v| v.as_bytes()),
        Some(&b"Accept-Encoding"[..])
    );
    assert_eq!(
        head.get("vary"),
        get.get("vary"),
        "HEAD {head:?} GET {get:?}"
    );
    assert_eq!(head.get("content-encoding"), get.get("content-encoding"));
}

/// The `Vary` lines of `GET /` with `Accept-Encoding: accept` from a handler that sends
/// `own` as its `Vary` lines, through a gzip-only Compression.
async fn vary_lines(own: &'static [&'static str], accept: Option<&str>) -> Vec<String> {
    let router = Router::new().route(
        "/",
        get(move || async move {
            let mut res = text().into_response();
            for line in own {
                res.headers_mut()
                    .append(header::VARY, header::HeaderValue::from_static(line));
            }
            res
        }),
    );
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        router,
    )
    .await;
    let res = call(&server, "/", accept).await;
    res.headers
        .get_all(header::VARY)
        .iter()
        .map(|v| v.to_str().expect("a visible Vary").to_owned())
        .collect()
}

#[tokio::test]
async fn a_handlers_vary_keeps_its_fields_and_gains_accept_encoding() {
    assert_eq!(
        vary_lines(&["HX-Request"], Some("gzip")).await,
        ["HX-Request", "Accept-Encoding"]
    );
    assert_eq!(
        vary_lines(&["HX-Request", "Origin"], None).await,
        ["HX-Request", "Origin", "Accept-Encoding"]
    );
}

#[tokio::test]
async fn a_vary_that_lists_accept_encoding_or_star_is_left_as_it_is() {
    assert_eq!(
        vary_lines(&["origin, accept-encoding"], Some("gzip")).await,
        ["origin, accept-encoding"]
    );
    assert_eq!(vary_lines(&["*"], Some("gzip")).await, ["*"]);
    assert_eq!(vary_lines(&["Origin", "*"], None).await, ["Origin", "*"]);
}

#[tokio::test]
async fn a_response_without_vary_gets_exactly_one_accept_encoding() {
    assert_eq!(vary_lines(&[], Some("gzip")).await, ["Accept-Encoding"]);
    assert_eq!(vary_lines(&[], None).await, ["Accept-Encoding"]);
}

#[tokio::test]
async fn status_code_is_preserved() {
    let router = Router::new().route(
        "/",
        get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/x")], text()) }),
    );
    let server = serve(|_| {}, router).await;
    let res = call(&server, "/", Some("*")).await;
    assert_eq!(res.status, StatusCode::FOUND);
    assert!(res.header("content-encoding").is_some());
}

const DATE: &str = "Wed, 21 Oct 2015 07:28:00 GMT";

async fn conditional(headers: HeaderMap) -> Response {
    if headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        == Some(DATE)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::EXPIRES, "Thu, 01 Dec 2094 16:00:00 GMT"),
            (header::CACHE_CONTROL, "no-cache, public"),
            (header::LAST_MODIFIED, DATE),
            (header::ETAG, "\"v1\""),
        ],
        text(),
    )
        .into_response()
}

#[tokio::test]
async fn conditional_headers_are_preserved_and_304_is_not_compressed() {
    let server = serve(|_| {}, Router::new().route("/", get(conditional))).await;
    let res = call(&server, "/", Some("gzip")).await;
    res.assert_encoded("gzip");
    assert_eq!(res.header("content-type"), Some("text/plain"));
    assert_eq!(res.header("expires"), Some("Thu, 01 Dec 2094 16:00:00 GMT"));
    assert_eq!(res.header("cache-control"), Some("no-cache, public"));
    assert_eq!(res.header("last-modified"), Some(DATE));
    // oxtor: another representation gets a weak validator.
    assert_eq!(res.header("etag"), Some("W/\"v1\""));
    for accept in [Some("gzip"), None] {
        let mut req = server
            .request(Method::GET, "/")
            .header("if-modified-since", DATE);
        if let Some(a) = accept {
            req = req.header("accept-encoding", a);
        }
        let res = send(req).await;
        assert_eq!(res.status, StatusCode::NOT_MODIFIED);
        res.assert_plain();
    }
    let res = call(&server, "/", None).await;
    assert_eq!(res.status, StatusCode::OK);
    res.assert_plain();
    assert_eq!(res.header("etag"), Some("\"v1\""));
}

#[tokio::test]
async fn head_gets_the_encoded_headers_and_no_body() {
    let server = serve(|_| {}, text_route()).await;
    let req = server
        .request(Method::HEAD, "/")
        .header("accept-encoding", "gzip");
    let res = send(req).await;
    res.assert_encoded("gzip");
    assert!(res.body.is_empty(), "{res:?}");
}
