//! Request decompression (ktor-semantics §2.3 and the decoding half of §2.4): codings undone
//! for handlers, the decoded-size cap, the zstd window limit, modes and per-call suppression.
#![cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;

use std::convert::Infallible;

use axum::{body::Bytes, extract::Request, http::StatusCode, routing::post, Router};
use compression_support::*;
use oxtor_runtime::{
    plugins::compression::{
        AppliedDecoders, Compression, CompressionMode, ContentEncoder, SuppressCompression,
        SuppressDecompression,
    },
    testing::TestApplication,
    Application,
};

#[tokio::test]
async fn request_bodies_are_decoded() {
    let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
    let t = "request text";
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("identity", t.into(), "identity"),
        ("gzip", gzip(t.as_bytes()), "gzip"),
        ("deflate", zlib(t.as_bytes()), "deflate"),
        ("zstd", zstd(t.as_bytes()), "zstd"),
        (
            "br",
            {
                let mut out = Vec::new();
                let mut enc = oxtor_runtime::plugins::compression::Brotli.encoder(None);
                let mut buf = bytes::BytesMut::new();
                enc.encode(t.as_bytes(), &mut buf).unwrap();
                enc.finish(&mut buf).unwrap();
                out.extend_from_slice(&buf);
                out
            },
            "br",
        ),
    ];
    for (coding, body, applied) in cases {
        let res = post_body(&server, coding, body, None).await;
        assert_eq!(res.text(), format!("{t}|-|{applied}"), "{coding}");
    }
}

#[tokio::test]
async fn raw_deflate_request_bodies_are_accepted() {
    let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
    let res = post_body(&server, "deflate", raw_deflate(b"raw"), None).await;
    assert_eq!(res.text(), "raw|-|deflate");
}

#[tokio::test]
async fn several_codings_are_undone_last_listed_first() {
    let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
    // Applied in the listed order: deflate, then gzip, then zstd (RFC 9110).
    let body = zstd(&gzip(&zlib(b"layered")));
    let res = post_body(&server, "identity, deflate, gzip, zstd", body, None).await;
    assert_eq!(res.text(), "layered|-|zstd,gzip,deflate,identity");
}

#[tokio::test]
async fn unknown_request_coding_is_passed_through() {
    let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
    let res = post_body(&server, "unknown", b"raw bytes".to_vec(), None).await;
    assert_eq!(res.text(), "raw bytes|unknown|");
    // Known codings applied after an unknown one are undone; the header keeps the rest.
    let res = post_body(&server, "unknown, gzip", gzip(b"inner"), None).await;
    assert_eq!(res.text(), "inner|unknown|gzip");
}

#[tokio::test]
async fn corrupt_request_body_is_a_client_error() {
    let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
    let res = post_body(&server, "gzip", b"not gzip at all".to_vec(), None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let mut truncated = gzip(text().as_bytes());
    truncated.truncate(truncated.len() / 2);
    let res = post_body(&server, "gzip", truncated, None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn decoded_size_over_the_cap_is_413() {
    let server = serve(
        |cfg| {
            cfg.max_decoded_size(1000);
        },
        Router::new().route("/", post(echo)),
    )
    .await;
    let res = post_body(&server, "gzip", gzip(text().as_bytes()), None).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let res = post_body(&server, "gzip", gzip(&[b'x'; 1000]), None).await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn compress_response_mode_leaves_requests_encoded() {
    let server = serve(
        |cfg| {
            cfg.gzip(|cfg| {
                cfg.minimum_size(0);
            })
            .mode(CompressionMode::CompressResponse);
        },
        Router::new().route("/", post(|body: Bytes| async move { body })),
    )
    .await;
    let sent = gzip(text().as_bytes());
    let res = post_body(&server, "gzip", sent.clone(), Some("gzip")).await;
    res.assert_encoded("gzip");
    // The handler echoed the still-gzipped request; the response gzipped that again.
    assert_eq!(decode(Some("gzip"), &res.body), sent);
}

#[tokio::test]
async fn decompress_request_mode_leaves_responses_plain() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {}).mode(CompressionMode::DecompressRequest);
        },
        Router::new().route("/", post(echo)),
    )
    .await;
    let res = post_body(&server, "gzip", gzip(text().as_bytes()), Some("gzip")).await;
    res.assert_plain();
    assert_eq!(res.body, format!("{}|-|gzip", text()));
}

#[tokio::test]
async fn suppress_compression_per_call() {
    let router = Router::new().route(
        "/",
        post(|applied: AppliedDecoders, body: Bytes| async move {
            (
                SuppressCompression,
                format!("{}{}", applied.0[0], String::from_utf8_lossy(&body)),
            )
        }),
    );
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        router,
    )
    .await;
    let res = post_body(&server, "gzip", gzip(text().as_bytes()), Some("gzip")).await;
    res.assert_plain();
    assert_eq!(res.body, format!("gzip{}", text()));
}

#[tokio::test]
async fn suppress_decompression_from_an_outer_layer() {
    let mut app = Application::new(());
    // Installed first = outermost: marks the request before Compression sees it.
    app.layer(axum::middleware::map_request(
        |mut req: Request| async move {
            req.extensions_mut().insert(SuppressDecompression);
            Ok::<_, Infallible>(req)
        },
    ));
    app.install(Compression::configure(|cfg| {
        cfg.gzip(|_| {});
    }))
    .unwrap();
    app.routing(Router::new().route("/", post(echo))).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    let res = post_body(&server, "gzip", gzip(b"kept"), None).await;
    let body = res.text();
    assert!(body.ends_with("|gzip|"), "{body}");
}

#[tokio::test]
async fn zstd_window_over_8_mib_is_rejected() {
    let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
    // RFC 9659: decoders need not support windows over 8 MiB; a 16 MiB one is refused.
    let res = post_body(&server, "zstd", zstd_zeros_bomb(1024, 24), None).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = post_body(&server, "zstd", zstd_zeros_bomb(1024, 23), None).await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn handler_taking_suppress_decompression_gets_the_body_as_sent() {
    let keep = |_: SuppressDecompression,
                applied: AppliedDecoders,
                headers: http::HeaderMap,
                body: Bytes| async move {
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned()
        };
        let described = format!(
            "{}|{}|{}",
            header(http::header::CONTENT_ENCODING),
            header(http::header::CONTENT_LENGTH),
            applied.0.join(",")
        );
        ([("x-request", described)], body)
    };
    let server = serve(|_| {}, Router::new().route("/", post(keep))).await;
    let sent = gzip(b"kept encoded");
    let res = post_body(&server, "gzip", sent.clone(), None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.header("x-request"),
        Some(format!("gzip|{}|", sent.len()).as_str())
    );
    assert_eq!(res.body, sent);
    // The other routes still decode.
    let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
    let res = post_body(&server, "gzip", sent, None).await;
    assert_eq!(res.text(), "kept encoded|-|gzip");
}
