//! Hostile or extreme input from a peer or a user gets a clear error, never a panic, a crash or an
//! unbounded allocation: one test per finding of the wire-input audit.
#[cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;

/// `Content-Encoding` stacks on requests (the `Compression` plugin).
#[cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod request_codings {
    use axum::{routing::post, Router};
    use http::{Method, StatusCode};

    use super::compression_support::*;

    /// A peer stacking `gzip` thousands of times in `Content-Encoding` (each layer would cost a
    /// decoder and its 32 KiB buffer, and a nested poll) is refused before any decoder is built.
    #[tokio::test]
    async fn thousands_of_stacked_request_codings_are_a_client_error() {
        let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
        // 10,000 layers (50 KB): within the engine's 64 KiB request-head limit, past which the
        // engine answers 431 before the plugin sees the request.
        let codings = ["gzip"; 10_000].join(",");
        let req = server
            .request(Method::POST, "/")
            .header("content-encoding", codings)
            .body("x");
        let res = send(req).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        let body = res.text();
        assert!(body.contains("too many content codings"), "{body}");
    }

    /// A user's decoder claiming to have written more than its buffer holds fails the body
    /// with a clear error (a 400 from the extractor), not a slice-index panic.
    #[tokio::test]
    async fn a_decoder_overstating_its_output_is_a_client_error() {
        use oxtor_runtime::plugins::compression::{
            ContentEncoder, DecodeProgress, DecodeStream, EncodeStream, Identity,
        };
        struct Liar;
        struct LiarStream;
        impl DecodeStream for LiarStream {
            fn decode(
                &mut self,
                input: &[u8],
                output: &mut [u8],
            ) -> std::io::Result<DecodeProgress> {
                Ok(DecodeProgress {
                    read: input.len(),
                    written: output.len() + 1,
                    ended: false,
                })
            }
            fn finish(&mut self, _output: &mut [u8]) -> std::io::Result<DecodeProgress> {
                Ok(DecodeProgress::default())
            }
            fn reinit(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl ContentEncoder for Liar {
            fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream> {
                Identity.encoder(level)
            }
            fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
                Some(Box::new(LiarStream))
            }
        }
        let server = serve(
            |cfg| {
                cfg.encoder("liar", Liar, |_| {});
            },
            Router::new().route("/", post(echo)),
        )
        .await;
        let res = post_body(&server, "liar", b"anything".to_vec(), None).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        let body = res.text();
        assert!(
            body.contains("decoder reported more bytes than it was given"),
            "{body}"
        );
    }

    /// The limit leaves room for real stacks: four layers are still undone.
    #[tokio::test]
    async fn four_stacked_request_codings_are_decoded() {
        let server = serve(|_| {}, Router::new().route("/", post(echo))).await;
        let body = gzip(&gzip(&gzip(&gzip(b"deep"))));
        let res = post_body(&server, "gzip, gzip, gzip, gzip", body, None).await;
        assert_eq!(res.text(), "deep|-|gzip,gzip,gzip,gzip");
    }
}

/// Extreme engine settings of the HTTP client.
#[cfg(feature = "client")]
mod client {
    use std::time::Duration;

    use axum::{routing::get, Router};
    use bytes::Bytes;
    use oxtor_runtime::client::{ClientError, HttpClient};

    /// A body of two chunks 50 ms apart, so the client waits (and checks its socket timeout).
    async fn slow_body_server() -> oxtor_runtime::testing::TestApplication {
        let route = get(|| async {
            let chunks = futures_util::stream::unfold(0, |i| async move {
                if i == 1 {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                (i < 2).then(|| {
                    (
                        Ok::<_, std::io::Error>(Bytes::from(format!("chunk{i} "))),
                        i + 1,
                    )
                })
            });
            axum::body::Body::from_stream(chunks)
        });
        let mut app = oxtor_runtime::Application::new(());
        app.routing(Router::new().route("/slow", route))
            .expect("routes");
        oxtor_runtime::testing::TestApplication::start(app)
            .await
            .expect("server starts")
    }

    /// `socket_timeout = Duration::MAX` means "wait as long as it takes", not an `Instant` overflow
    /// panic while the body is read.
    #[tokio::test]
    async fn longest_socket_timeout_reads_a_slow_body() {
        let server = slow_body_server().await;
        let client = HttpClient::configure(|cfg| {
            cfg.engine(|e| {
                e.socket_timeout(Duration::MAX);
            });
        })
        .expect("client");
        let text = tokio::time::timeout(Duration::from_secs(10), async {
            client.get(&server.url("/slow")).await?.text().await
        })
        .await
        .expect("bounded");
        assert_eq!(text.expect("body"), "chunk0 chunk1 ");
    }

    /// Tens of thousands of request headers (more than a `HeaderMap` holds) make the request
    /// fail with `InvalidHeader` when sent, not a capacity panic while they are added.
    #[tokio::test]
    async fn more_headers_than_a_header_map_holds_is_an_invalid_header_error() {
        let server = slow_body_server().await;
        let client = HttpClient::new().expect("client");
        let statement = client.get(&server.url("/slow")).with(|req| {
            req.headers(|h| {
                for i in 0..40_000 {
                    h.append(&format!("x-h{i}"), "1");
                }
            });
        });
        let err = statement.send().await.expect_err("rejected");
        assert!(
            matches!(&err, ClientError::InvalidHeader(h) if h.ends_with(": too many headers")),
            "{err}"
        );
    }

    /// A connection cap beyond what a semaphore holds is a configuration error naming the key, not a
    /// panic inside tokio.
    #[test]
    fn connection_cap_beyond_the_maximum_is_a_config_error() {
        for key in ["max_conn_total", "max_conn_per_route"] {
            let err = HttpClient::configure(|cfg| {
                cfg.engine(move |e| {
                    if key == "max_conn_total" {
                        e.max_conn_total(usize::MAX);
                    } else {
                        e.max_conn_per_route(usize::MAX);
                    }
                });
            })
            .expect_err("rejected");
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("engine.{key}: {} is more than", usize::MAX)),
                "{message}"
            );
        }
    }

    /// `pool_idle_timeout = Duration::MAX` keeps idle connections; hyper-util's idle reaper, which
    /// computes `now + timeout`, must not panic on the engine runtime when a connection goes idle.
    #[tokio::test]
    async fn longest_pool_idle_timeout_does_not_panic_the_idle_reaper() {
        use std::sync::{Arc, Mutex};
        let panics = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = panics.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(info.to_string());
            previous(info);
        }));
        let server = slow_body_server().await;
        let client = HttpClient::configure(|cfg| {
            cfg.engine(|e| {
                e.pool_idle_timeout(Duration::MAX);
            });
        })
        .expect("client");
        for _ in 0..2 {
            let text = tokio::time::timeout(Duration::from_secs(10), async {
                client.get(&server.url("/slow")).await?.text().await
            })
            .await
            .expect("bounded");
            assert_eq!(text.expect("body"), "chunk0 chunk1 ");
        }
        // The reaper is spawned when the first connection goes idle; give it a moment to run.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let panics = panics.lock().unwrap_or_else(|e| e.into_inner());
        assert!(
            !panics.iter().any(|p| p.contains("duration to instant")),
            "{panics:?}"
        );
    }
}
