//! Duplex streaming over h2c (Ktor's OkHttpHttp2Test, KTOR-9066) and KTOR-9775 (streams go back
//! to the pool), over real sockets.
#![cfg(feature = "client")]

mod client_support;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{body::Body, extract::State, routing::post, Router};
use bytes::Bytes;
use client_support::{bounded, eventually, serve, ConnCounter};
use futures_util::StreamExt;
use oxtor_runtime::client::{ClientError, HttpClient, RequestBody};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Open echo streams on the server.
#[derive(Clone, Default)]
struct Streams(Arc<AtomicUsize>);

struct StreamGuard(Arc<AtomicUsize>);
impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `POST /echo/stream`: answers `server: <line>\n` for each line as it arrives (Ktor's Echo.kt).
async fn echo_stream(State(streams): State<Streams>, body: Body) -> Body {
    streams.0.fetch_add(1, Ordering::SeqCst);
    let guard = StreamGuard(streams.0.clone());
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        let mut data = body.into_data_stream();
        let mut pending = Vec::new();
        while let Some(Ok(chunk)) = data.next().await {
            pending.extend_from_slice(&chunk);
            while let Some(i) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=i).collect();
                let mut out = b"server: ".to_vec();
                out.extend_from_slice(&line);
                if tx.send(Ok(out.into())).await.is_err() {
                    return;
                }
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(
        (rx, guard),
        |(mut rx, guard)| async move { rx.recv().await.map(|item| (item, (rx, guard))) },
    ))
}

async fn echo_server(streams: Streams, counter: Arc<ConnCounter>) -> client_support::TestServer {
    let router = Router::new()
        .route("/echo/stream", post(echo_stream))
        .with_state(streams);
    serve("127.0.0.1", router, vec![counter]).await
}

fn duplex_client() -> HttpClient {
    HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.duplex_streaming_enabled(true).http2_prior_knowledge(true);
        });
    })
    .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplex_streaming_writes_each_line_after_reading_the_previous_echo() {
    let server = echo_server(Streams::default(), Arc::default()).await;
    let client = duplex_client();
    let (writer, body) = RequestBody::channel(1);

    let lines = bounded(
        10,
        client
            .prepare_post(&server.url("/echo/stream"))
            .body_from(body)
            .execute(|resp| async move {
                let mut reader = BufReader::new(resp.into_body());
                let mut lines = Vec::new();
                for i in 0..3 {
                    writer.write(format!("client: {i}\n")).await?;
                    let mut line = String::new();
                    reader
                        .read_line(&mut line)
                        .await
                        .map_err(|e| ClientError::Body(e.into()))?;
                    lines.push(line.trim_end().to_owned());
                }
                Ok::<_, ClientError>(lines)
            }),
    )
    .await
    .expect("execute")
    .expect("block");

    assert_eq!(
        lines.join("\n"),
        "server: client: 0\nserver: client: 1\nserver: client: 2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_error_reaches_the_response_reader_with_its_message() {
    let server = echo_server(Streams::default(), Arc::default()).await;
    let client = duplex_client();
    let (writer, body) = RequestBody::channel(1);

    let (first, second) = bounded(
        10,
        client
            .prepare_post(&server.url("/echo/stream"))
            .body_from(body)
            .execute(|resp| async move {
                let mut body = resp.into_body();
                writer.write("client: 0\n").await.expect("write");
                let first = body.chunk().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                writer.fail("Client-side exception");
                let second = body.chunk().await;
                (first, second)
            }),
    )
    .await
    .expect("execute");

    assert_eq!(
        first.expect("first line").as_deref(),
        Some(&b"server: client: 0\n"[..])
    );
    match second {
        Err(ClientError::Writer(message)) => assert_eq!(message, "Client-side exception"),
        other => panic!("expected the writer's error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_duplex_calls_leave_no_open_streams_and_reuse_one_connection() {
    let streams = Streams::default();
    let counter = Arc::new(ConnCounter::default());
    let server = echo_server(streams.clone(), counter.clone()).await;
    let client = duplex_client();

    bounded(120, async {
        for i in 0..1000 {
            let (writer, body) = RequestBody::channel(1);
            let echoed = client
                .prepare_post(&server.url("/echo/stream"))
                .body_from(body)
                .execute(move |resp| async move {
                    let mut body = resp.into_body();
                    writer.write(format!("{i}\n")).await?;
                    let line = body.chunk().await?;
                    writer.finish();
                    let rest = body.bytes().await?;
                    Ok::<_, ClientError>((line, rest))
                })
                .await
                .expect("execute")
                .expect("call");
            assert_eq!(
                echoed.0.as_deref(),
                Some(format!("server: {i}\n").as_bytes())
            );
            assert!(echoed.1.is_empty());
        }
    })
    .await;

    assert!(
        eventually(|| streams.0.load(Ordering::SeqCst) == 0).await,
        "{} streams still open",
        streams.0.load(Ordering::SeqCst)
    );
    assert_eq!(counter.accepted(), 1);
    assert_eq!(client.open_connections(), 1);
}

#[tokio::test]
async fn duplex_over_http1_is_a_clear_error() {
    let server = echo_server(Streams::default(), Arc::default()).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.duplex_streaming_enabled(true);
        });
    })
    .expect("client");
    let (_writer, body) = RequestBody::channel(1);

    let res = client
        .post(&server.url("/echo/stream"))
        .body_from(body)
        .await;

    assert!(
        matches!(res, Err(ClientError::DuplexRequiresHttp2)),
        "{res:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_duplex_the_response_is_visible_only_after_the_body_is_sent() {
    let server = echo_server(Streams::default(), Arc::default()).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.http2_prior_knowledge(true);
        });
    })
    .expect("client");
    let (writer, body) = RequestBody::channel(4);
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    tokio::spawn(async move {
        for i in 0..3 {
            let _ = writer.write(format!("client: {i}\n")).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        flag.store(true, Ordering::SeqCst);
    });

    let resp = bounded(
        10,
        client
            .post(&server.url("/echo/stream"))
            .body_from(body)
            .send(),
    )
    .await
    .expect("response");
    let seen_after_body = finished.load(Ordering::SeqCst);
    let text = bounded(10, resp.text()).await.expect("text");

    assert!(
        seen_after_body,
        "response was visible before the body was sent"
    );
    assert_eq!(
        text,
        "server: client: 0\nserver: client: 1\nserver: client: 2\n"
    );
}

#[tokio::test]
async fn a_channel_body_is_one_shot() {
    let server = echo_server(Streams::default(), Arc::default()).await;
    let client = HttpClient::new().expect("client");
    let (writer, body) = RequestBody::channel(1);
    drop(writer);
    let statement = client.post(&server.url("/echo/stream")).body_from(body);

    let first = statement.clone().body::<String>().await;
    let second = statement.body::<String>().await;

    assert_eq!(first.expect("first"), "");
    assert!(
        matches!(second, Err(ClientError::BodyConsumed)),
        "{second:?}"
    );
}
