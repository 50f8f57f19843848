//! Ktor's `CompressionTest` list (ktor-semantics §2.4), response half, ported one behaviour per
//! test over real sockets, adapted where oxtor deliberately differs (see the module docs of
//! `oxtor_runtime::plugins::compression`): negotiation. Which coding `Accept-Encoding` picks
//! (defaults, `*`, priorities, `q` values, unknown, malformed and `identity` values, a custom
//! coding by name), and that the encoded body, also a large or a streamed one, decodes to the
//! handler's. Conditions are in `compression_conditions.rs`, headers and HEAD in
//! `compression_headers.rs`, the request half in `compression_requests.rs`.
#![cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;

use axum::{
    http::{header, StatusCode},
    routing::{get, post},
    Router,
};
use compression_support::*;
use http::Method;
use oxtor_runtime::plugins::compression::{
    ContentEncoder, DecodeProgress, DecodeStream, EncodeStream,
};

#[tokio::test]
async fn no_accept_encoding_sends_plain_with_content_length_and_vary() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        text_route(),
    )
    .await;
    let res = call(&server, "/", None).await;
    res.assert_plain();
    assert_eq!(res.header("content-length"), Some("2200"));
    // oxtor: the response could have been compressed, so caches must key on Accept-Encoding.
    assert_eq!(res.header("vary"), Some("Accept-Encoding"));
}

#[tokio::test]
async fn unknown_accepted_encodings_send_plain() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        text_route(),
    )
    .await;
    let res = call(&server, "/", Some("a,b,c")).await;
    res.assert_plain();
    assert_eq!(res.body, text());
}

#[tokio::test]
async fn default_config_serves_deflate_zlib_wrapped() {
    let server = serve(|_| {}, text_route()).await;
    let res = call(&server, "/", Some("deflate")).await;
    res.assert_encoded("deflate");
    assert_eq!(res.text(), text());
}

#[tokio::test]
async fn default_config_prefers_gzip_over_deflate() {
    let server = serve(|_| {}, text_route()).await;
    call(&server, "/", Some("gzip,deflate"))
        .await
        .assert_encoded("gzip");
}

#[tokio::test]
async fn default_config_serves_zstd_listed_first() {
    let server = serve(|_| {}, text_route()).await;
    let res = call(&server, "/", Some("zstd,gzip,deflate")).await;
    res.assert_encoded("zstd");
    assert_eq!(res.text(), text());
}

#[tokio::test]
async fn accept_star_picks_the_only_registered_coding() {
    for coding in ["gzip", "deflate", "zstd"] {
        let server = serve(
            |cfg| {
                match coding {
                    "gzip" => cfg.gzip(|_| {}),
                    "deflate" => cfg.deflate(|_| {}),
                    _ => cfg.zstd(|_| {}),
                };
            },
            text_route(),
        )
        .await;
        let res = call(&server, "/", Some("*")).await;
        res.assert_encoded(coding);
        assert_eq!(res.text(), text());
    }
}

#[tokio::test]
async fn accept_star_resolves_by_priority_deterministically() {
    let server = serve(
        |cfg| {
            cfg.gzip(|cfg| {
                cfg.priority(0.5);
            });
            cfg.zstd(|_| {});
            cfg.deflate(|_| {});
        },
        text_route(),
    )
    .await;
    for _ in 0..3 {
        call(&server, "/", Some("*")).await.assert_encoded("zstd");
    }
}

#[tokio::test]
async fn unknown_coding_listed_first_is_skipped() {
    let server = serve(|_| {}, text_route()).await;
    call(&server, "/", Some("special,gzip,deflate"))
        .await
        .assert_encoded("gzip");
}

/// A toy coding: uppercases ASCII.
struct Special;
struct SpecialStream;
impl EncodeStream for SpecialStream {
    fn encode(&mut self, input: &[u8], output: &mut bytes::BytesMut) -> std::io::Result<()> {
        output.extend(input.iter().map(u8::to_ascii_uppercase));
        Ok(())
    }
    fn flush(&mut self, _: &mut bytes::BytesMut) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _: &mut bytes::BytesMut) -> std::io::Result<()> {
        Ok(())
    }
}
impl ContentEncoder for Special {
    fn encoder(&self, _level: Option<i32>) -> Box<dyn EncodeStream> {
        Box::new(SpecialStream)
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        Some(Box::new(SpecialStream))
    }
}

/// Decoding `special` lowercases ASCII.
impl DecodeStream for SpecialStream {
    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> std::io::Result<DecodeProgress> {
        let n = input.len().min(output.len());
        for (o, i) in output.iter_mut().zip(&input[..n]) {
            *o = i.to_ascii_lowercase();
        }
        Ok(DecodeProgress {
            read: n,
            written: n,
            ended: false,
        })
    }
    fn finish(&mut self, _: &mut [u8]) -> std::io::Result<DecodeProgress> {
        Ok(DecodeProgress {
            ended: true,
            ..DecodeProgress::default()
        })
    }
    fn reinit(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn custom_coding_is_used_by_name() {
    let server = serve(
        |cfg| {
            cfg.encoder("special", Special, |_| {});
        },
        text_route(),
    )
    .await;
    let res = call(&server, "/", Some("special")).await;
    assert_eq!(res.header("content-encoding"), Some("special"));
    assert_eq!(res.body, text().to_uppercase());
}

#[tokio::test]
async fn custom_coding_decodes_request_bodies() {
    let server = serve(
        |cfg| {
            cfg.encoder("special", Special, |_| {});
        },
        Router::new().route("/", post(echo)),
    )
    .await;
    let res = post_body(&server, "special", b"HELLO".to_vec(), None).await;
    assert_eq!(res.text(), "hello|-|special");
}

#[tokio::test]
async fn zstd_level_20_round_trips() {
    let server = serve(
        |cfg| {
            cfg.zstd(|cfg| {
                cfg.level(20);
            });
        },
        text_route(),
    )
    .await;
    let res = call(&server, "/", Some("zstd")).await;
    res.assert_encoded("zstd");
    assert_eq!(res.text(), text());
}

#[tokio::test]
async fn higher_priority_wins_a_tie() {
    let server = serve(
        |cfg| {
            cfg.gzip(|cfg| {
                cfg.priority(10.0);
            })
            .deflate(|cfg| {
                cfg.priority(1.0);
            });
        },
        text_route(),
    )
    .await;
    call(&server, "/", Some("gzip,deflate"))
        .await
        .assert_encoded("gzip");
    let server = serve(
        |cfg| {
            cfg.gzip(|cfg| {
                cfg.priority(1.0);
            })
            .deflate(|cfg| {
                cfg.priority(10.0);
            });
        },
        text_route(),
    )
    .await;
    call(&server, "/", Some("gzip,deflate"))
        .await
        .assert_encoded("deflate");
}

#[tokio::test]
async fn client_quality_wins() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {}).deflate(|_| {}).zstd(|_| {});
        },
        text_route(),
    )
    .await;
    call(&server, "/", Some("gzip;q=1,zstd;q=0.5,deflate;q=0.1"))
        .await
        .assert_encoded("gzip");
    call(&server, "/", Some("gzip;q=0.1,zstd;q=0.5,deflate;q=1"))
        .await
        .assert_encoded("deflate");
    call(&server, "/", Some("gzip;q=0.1,zstd;q=1,deflate;q=0.2"))
        .await
        .assert_encoded("zstd");
}

#[tokio::test]
async fn q_zero_means_not_acceptable() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        text_route(),
    )
    .await;
    call(&server, "/", Some("gzip;q=0")).await.assert_plain();
    call(&server, "/", Some("*;q=0")).await.assert_plain();
}

#[tokio::test]
async fn malformed_accept_encoding_falls_back_to_identity() {
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {});
        },
        text_route(),
    )
    .await;
    for bad in [
        &b"gzip;q=2"[..],
        b";;;,,,",
        b"gzip;q=",
        b"\xff\xfe",
        b"gzip;q=0.5.5",
    ] {
        let req = server.request(Method::GET, "/").header(
            "accept-encoding",
            http::HeaderValue::from_bytes(bad).unwrap(),
        );
        let res = send(req).await;
        assert_eq!(res.status, StatusCode::OK);
        res.assert_plain();
        assert_eq!(res.body, text());
    }
}

#[tokio::test]
async fn large_content_round_trips_in_every_coding() {
    let big: String = (0..16384).map(|i| format!("test line {i}\n")).collect();
    let body = big.clone();
    let server = serve(
        |_| {},
        Router::new().route("/", get(move || async move { body })),
    )
    .await;
    for coding in ["deflate", "gzip", "zstd"] {
        let res = call(&server, "/", Some(coding)).await;
        res.assert_encoded(coding);
        assert_eq!(res.text(), big);
    }
}

#[tokio::test]
async fn streamed_body_is_compressed() {
    let server = serve(|_| {}, streamed("a streamed body, written in small pieces")).await;
    let res = call(&server, "/", Some("gzip")).await;
    res.assert_encoded("gzip");
    assert_eq!(res.text(), "a streamed body, written in small pieces");
}

#[tokio::test]
async fn identity_requested_sends_as_is_with_length() {
    let router = Router::new().route("/", get(|| async { text() })).route(
        "/bytes",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                vec![7u8; 1000],
            )
        }),
    );
    let server = serve(
        |cfg| {
            cfg.gzip(|_| {}).identity(|_| {});
        },
        router,
    )
    .await;
    let res = call(&server, "/", Some("identity")).await;
    // oxtor: RFC 9110 reserves `identity` for Accept-Encoding, so no `Content-Encoding: identity`.
    res.assert_plain();
    assert_eq!(res.header("content-length"), Some("2200"));
    let res = call(&server, "/bytes", Some("identity")).await;
    res.assert_plain();
    assert_eq!(res.header("content-length"), Some("1000"));
}
