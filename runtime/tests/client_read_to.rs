//! Ports of Ktor's `ByteReadChannelOperationsTest.readTo*` (§15) over real response bodies.
#![cfg(feature = "client")]

mod client_support;

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use axum::{body::Body, routing::get, Router};
use bytes::Bytes;
use client_support::{bounded, serve, TestServer};
use oxtor_runtime::client::{body::BodyCancelled, ClientError, HttpClient};
use tokio::{io::AsyncWrite, net::TcpListener};

async fn server() -> TestServer {
    let router = Router::new()
        .route("/five", get(|| async { "12345" }))
        .route("/ten", get(|| async { "0123456789" }))
        .route(
            "/chunks",
            get(|| async {
                let chunks = ["ab", "cd", "ef"]
                    .map(|c| Ok::<_, io::Error>(Bytes::from_static(c.as_bytes())));
                Body::from_stream(ThenDelay::then_delay(futures_util::stream::iter(chunks)))
            }),
        );
    serve("127.0.0.1", router, vec![]).await
}

/// Spaces the chunks so each arrives as its own frame.
trait ThenDelay: futures_util::Stream + Sized {
    fn then_delay(self) -> impl futures_util::Stream<Item = Self::Item> {
        use futures_util::StreamExt;
        self.then(|item| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            item
        })
    }
}
impl<S: futures_util::Stream> ThenDelay for S {}

/// A sink recording writes, flushes and shutdowns; fails writes when `fail` is set.
#[derive(Default)]
struct RecordingSink {
    data: Vec<u8>,
    flushes: usize,
    shut_down: bool,
    fail: bool,
}

impl AsyncWrite for RecordingSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.fail {
            return Poll::Ready(Err(io::Error::other("disk full")));
        }
        self.data.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.flushes += 1;
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.shut_down = true;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn read_to_sink_all_returns_the_count_then_zero() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/five")).await.expect("response");
    let mut sink = RecordingSink::default();

    let first = resp.read_to(&mut sink).await.expect("read_to");
    let second = resp.read_to(&mut sink).await.expect("read_to again");

    assert_eq!(first, 5);
    assert_eq!(sink.data, b"12345");
    assert_eq!(second, 0);
    assert!(!sink.shut_down, "the sink stays open on success");
}

#[tokio::test]
async fn read_to_sink_partial_moves_exactly_the_limit_and_keeps_the_rest() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/ten")).await.expect("response");
    let body = resp.body_mut();
    let mut sinks: Vec<Vec<u8>> = Vec::new();
    let mut counts = Vec::new();

    for limit in [2, 2, 5, 1] {
        let mut sink = Vec::new();
        counts.push(
            body.read_to_limit(&mut sink, limit)
                .await
                .expect("read_to_limit"),
        );
        sinks.push(sink);
    }
    let last = body.read_to(&mut Vec::new()).await.expect("final read_to");

    assert_eq!(counts, vec![2, 2, 5, 1]);
    assert_eq!(
        sinks,
        vec![
            b"01".to_vec(),
            b"23".to_vec(),
            b"45678".to_vec(),
            b"9".to_vec()
        ]
    );
    assert_eq!(last, 0);
}

#[tokio::test]
async fn read_to_flushes_after_every_chunk() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/chunks")).await.expect("response");
    let mut sink = RecordingSink::default();

    let n = resp.read_to(&mut sink).await.expect("read_to");

    assert_eq!(n, 6);
    assert_eq!(sink.data, b"abcdef");
    assert_eq!(sink.flushes, 3);
}

/// A raw HTTP/1.1 peer that promises 10 bytes, sends 3 and closes; its address and task.
async fn truncating_peer() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let peer = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut s, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 1024];
        let _ = s.read(&mut buf).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
            .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    });
    (addr, peer)
}

#[tokio::test]
async fn read_to_from_a_broken_body_fails_and_leaves_the_sink_open() {
    let (addr, peer) = truncating_peer().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client
        .get(&format!("http://{addr}/"))
        .await
        .expect("response");
    let mut sink = RecordingSink::default();

    let res = bounded(10, resp.read_to(&mut sink)).await;

    assert!(matches!(res, Err(ClientError::Body(_))), "{res:?}");
    assert_eq!(sink.data, b"abc");
    assert!(!sink.shut_down);
    let _ = peer.await;
}

#[tokio::test]
async fn a_truncated_body_is_an_unexpected_eof() {
    let (addr, peer) = truncating_peer().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client
        .get(&format!("http://{addr}/"))
        .await
        .expect("response");

    let err = bounded(10, resp.read_to_limit(&mut Vec::new(), 100))
        .await
        .expect_err("the body is cut short");

    assert!(err.is_truncated_body(), "{err:?}");
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::UnexpectedEof);
    let _ = peer.await;
}

#[tokio::test]
async fn response_read_to_limit_stops_at_the_limit() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/ten")).await.expect("response");
    let mut sink = Vec::new();

    assert_eq!(resp.read_to_limit(&mut sink, 4).await.expect("read"), 4);
    assert_eq!(sink, b"0123");
    assert_eq!(resp.text().await.expect("rest"), "456789");
}

#[tokio::test]
async fn a_failing_sink_is_shut_down_and_the_error_returned() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/ten")).await.expect("response");
    let mut sink = RecordingSink {
        fail: true,
        ..Default::default()
    };

    let res = resp.read_to(&mut sink).await;

    assert!(
        matches!(res, Err(ClientError::Sink(ref e)) if e.to_string() == "disk full"),
        "{res:?}"
    );
    assert!(sink.shut_down);
    let after = resp.read_to(&mut Vec::new()).await;
    assert!(is_cancelled(&after), "{after:?}");
}

fn is_cancelled<T>(res: &Result<T, ClientError>) -> bool {
    matches!(res, Err(ClientError::Body(e)) if e.is::<BodyCancelled>())
}

/// Ktor's `testReadToFromCancelled`: a cancelled body is not an end of body.
#[tokio::test]
async fn read_to_from_a_cancelled_body_fails_with_body_cancelled() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/five")).await.expect("response");
    let mut sink = Vec::new();

    resp.body_mut().cancel();
    let res = resp.read_to(&mut sink).await;

    assert!(is_cancelled(&res), "{res:?}");
    assert_eq!(
        res.expect_err("cancelled").to_string(),
        "response body error: the response body was cancelled"
    );
    assert!(sink.is_empty());
}

#[tokio::test]
async fn a_chunk_read_from_a_cancelled_body_fails_with_body_cancelled() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/chunks")).await.expect("response");
    let first = resp.body_mut().chunk().await.expect("first chunk");

    resp.body_mut().cancel();
    let res = resp.body_mut().chunk().await;

    assert_eq!(first.as_deref(), Some(&b"ab"[..]));
    assert!(is_cancelled(&res), "{res:?}");
}

#[tokio::test]
async fn text_of_a_cancelled_body_fails_with_body_cancelled() {
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut resp = client.get(&server.url("/ten")).await.expect("response");

    resp.body_mut().cancel();
    let res = resp.text().await;

    assert!(is_cancelled(&res), "{res:?}");
}

#[tokio::test]
async fn async_read_of_a_cancelled_body_is_an_io_error() {
    use tokio::io::AsyncReadExt;
    let server = server().await;
    let client = HttpClient::new().expect("client");
    let mut body = client
        .get(&server.url("/ten"))
        .await
        .expect("response")
        .into_body();

    body.cancel();
    let res = body.read(&mut [0u8; 16]).await;

    let err = res.expect_err("cancelled body read");
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert!(err.to_string().contains("cancelled"), "{err}");
}
