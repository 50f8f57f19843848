//! Ktor's `CompressionTest` list (ktor-semantics §2.4), response half, ported one behaviour per
//! test over real sockets, adapted where oxtor deliberately differs (see the module docs of
//! `oxtor_runtime::plugins::compression`): conditions. Which responses are compressed at all:
//! content types matched and excluded, minimum sizes, global and per-coding conditions,
//! responses already encoded, 101, 206, and the plugin as a layer on one route group.
#![cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;

use std::convert::Infallible;

use axum::{
    body::{Body, Bytes},
    http::{header, StatusCode},
    routing::get,
    Router,
};
use compression_support::*;
use oxtor_runtime::{
    plugins::compression::Compression,
    routing::{Blocks, Routes, RoutingBlock},
    testing::TestApplication,
    Application,
};

fn typed(content_type: &'static str) -> Router {
    typed_bytes(content_type.as_bytes())
}

#[tokio::test]
async fn video_is_not_compressed_by_default() {
    let server = serve(|_| {}, typed("video/mp4")).await;
    call(&server, "/", Some("*")).await.assert_plain();
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        typed("video/mp4"),
    )
    .await;
    call(&server, "/", Some("*")).await.assert_plain();
}

#[tokio::test]
async fn global_minimum_size_skips_small_bodies() {
    for coding in ["gzip", "zstd"] {
        let server = serve(
            |cfg| {
                cfg.minimum_size(10);
                if coding == "gzip" {
                    cfg.gzip(|_| {});
                } else {
                    cfg.zstd(|_| {});
                }
            },
            Router::new()
                .route("/small", get(|| async { "0123" }))
                .route("/big", get(|| async { "0123".repeat(5) }))
                .merge(streamed("stream content").route(
                    "/stream",
                    get(|| async {
                        Body::from_stream(futures_util::stream::iter(
                            ["stream ", "content"]
                                .map(|s| Ok::<_, Infallible>(Bytes::from_static(s.as_bytes()))),
                        ))
                    }),
                )),
        )
        .await;
        let accept = if coding == "gzip" {
            "gzip,zstd,deflate"
        } else {
            "zstd,gzip,deflate"
        };
        call(&server, "/small", Some(accept)).await.assert_plain();
        call(&server, "/big", Some(accept))
            .await
            .assert_encoded(coding);
        let res = call(&server, "/stream", Some(accept)).await;
        res.assert_encoded(coding);
        assert_eq!(res.text(), "stream content");
    }
}

#[tokio::test]
async fn default_minimum_size_is_200_when_length_is_known() {
    let router = Router::new()
        .route("/199", get(|| async { "x".repeat(199) }))
        .route("/200", get(|| async { "x".repeat(200) }));
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        router,
    )
    .await;
    call(&server, "/199", Some("gzip")).await.assert_plain();
    call(&server, "/200", Some("gzip"))
        .await
        .assert_encoded("gzip");
}

#[tokio::test]
async fn content_type_match_and_exclude() {
    let router = Router::new()
        .merge(typed("text/plain").route(
            "/plain",
            get(|| async { ([(header::CONTENT_TYPE, "text/plain")], text()) }),
        ))
        .route(
            "/vcard",
            get(|| async { ([(header::CONTENT_TYPE, "text/vcard")], text()) }),
        )
        .route(
            "/other",
            get(|| async { ([(header::CONTENT_TYPE, "some/other")], text()) }),
        );
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
            cfg.match_content_type("text/*")
                .exclude_content_type("text/vcard");
        },
        router,
    )
    .await;
    call(&server, "/plain", Some("gzip"))
        .await
        .assert_encoded("gzip");
    call(&server, "/vcard", Some("gzip")).await.assert_plain();
    call(&server, "/other", Some("gzip")).await.assert_plain();
}

#[tokio::test]
async fn failing_encoder_condition_falls_through_to_the_next() {
    let server = serve(
        |cfg| {
            cfg.gzip(|cfg| {
                cfg.condition(|call| call.query_param("e").as_deref() == Some("1"));
            });
            cfg.deflate(|_| {});
        },
        text_route(),
    )
    .await;
    call(&server, "/?e=1", Some("gzip"))
        .await
        .assert_encoded("gzip");
    call(&server, "/?e", Some("gzip")).await.assert_plain();
    call(&server, "/?e", Some("gzip,deflate"))
        .await
        .assert_encoded("deflate");
}

#[tokio::test]
async fn global_custom_condition() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
            cfg.condition(|call| call.query_param("compress").as_deref() == Some("true"));
        },
        text_route(),
    )
    .await;
    call(&server, "/", Some("gzip")).await.assert_plain();
    call(&server, "/?compress=true", Some("gzip"))
        .await
        .assert_encoded("gzip");
}

#[tokio::test]
async fn response_with_content_encoding_is_left_alone() {
    let router = Router::new().route(
        "/",
        get(|| async { ([(header::CONTENT_ENCODING, "identity")], text()) }),
    );
    let server = serve(|_| {}, router).await;
    let res = call(&server, "/", Some("gzip")).await;
    assert_eq!(res.header("content-encoding"), Some("identity"));
    assert_eq!(res.body, text());
}

#[tokio::test]
async fn protocol_upgrade_is_not_compressed() {
    let router = Router::new().route(
        "/",
        get(|| async {
            (
                StatusCode::SWITCHING_PROTOCOLS,
                [(header::CONNECTION, "upgrade"), (header::UPGRADE, "test")],
            )
        }),
    );
    let server = serve(|_| {}, router).await;
    let res = call(&server, "/", Some("*")).await;
    assert_eq!(res.status, StatusCode::SWITCHING_PROTOCOLS);
    res.assert_plain();
}

#[tokio::test]
async fn excluded_content_types_are_not_compressed() {
    for ct in [
        "text/event-stream",
        "video/mpeg",
        "multipart/form-data; boundary=xyz",
        "image/png",
    ] {
        let server = serve(|_| {}, typed(ct)).await;
        let res = call(&server, "/", Some("*")).await;
        res.assert_plain();
        // Accept-Encoding cannot change such a response, so caches need not vary on it.
        assert_eq!(res.header("vary"), None, "{ct}");
    }
}

/// `GET /` answering `text()` with the `Content-Type` `value` (any bytes a header value allows).
fn typed_bytes(value: &'static [u8]) -> Router {
    let value = header::HeaderValue::from_bytes(value).expect("a header value");
    Router::new().route(
        "/",
        get(move || {
            let value = value.clone();
            async move { ([(header::CONTENT_TYPE, value)], text()) }
        }),
    )
}

#[tokio::test]
async fn parameters_that_are_not_utf8_do_not_hide_the_content_type() {
    // obs-text in a parameter: the type and subtype still decide.
    let server = serve(|_| {}, typed_bytes(b"image/png; title=\xe9t\xe9")).await;
    let res = call(&server, "/", Some("gzip")).await;
    res.assert_plain();
    assert_eq!(res.header("vary"), None);
    let server = serve(|_| {}, typed_bytes(b"text/html; title=\xe9t\xe9")).await;
    call(&server, "/", Some("gzip"))
        .await
        .assert_encoded("gzip");
}

#[tokio::test]
async fn event_stream_is_skipped_even_with_own_conditions() {
    let server = serve(
        |cfg| {
            cfg.deflate(|cfg| {
                cfg.minimum_size(1024);
            });
        },
        typed("text/event-stream"),
    )
    .await;
    call(&server, "/", Some("*")).await.assert_plain();
}

#[tokio::test]
async fn layer_on_a_route_group_compresses_only_that_group() {
    let layer = Compression::configure(|cfg| {
        cfg.deflate(|_| {});
    })
    .unwrap()
    .into_layer();
    let group = Blocks.layer(layer).wrap(Routes::from(
        Router::new().route("/1", get(|| async { text() })),
    ));
    let router = Router::new()
        .route("/2", get(|| async { text() }))
        .merge(group);
    let mut app = Application::new(());
    app.routing(router).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    call(&server, "/1", Some("deflate"))
        .await
        .assert_encoded("deflate");
    call(&server, "/2", Some("deflate")).await.assert_plain();
}

#[tokio::test]
async fn partial_content_is_not_compressed() {
    let router = Router::new().route(
        "/",
        get(|| async {
            (
                StatusCode::PARTIAL_CONTENT,
                [(header::CONTENT_RANGE, "bytes 0-0/2200")],
                "t",
            )
        }),
    );
    let server = serve(
        |cfg| {
            cfg.gzip(|cfg| {
                cfg.minimum_size(0);
            });
        },
        router,
    )
    .await;
    let res = call(&server, "/", Some("gzip")).await;
    assert_eq!(res.status, StatusCode::PARTIAL_CONTENT);
    res.assert_plain();
    assert_eq!(res.body, "t");
}
