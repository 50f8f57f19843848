//! HTTP/2 streams on the engine's executor, over real h2c connections: on a runtime with one
//! worker a stream answered at once runs on its connection's task (no task of its own), one that
//! waits continues on a task of its own and is woken as usual, and one whose body panics at its
//! first poll is reset while its connection serves on; with several workers every stream has a
//! task of its own.
mod lifecycle_support;

use std::time::Duration;

use axum::{body::Body, extract::Request, routing::get, Router};
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::client::conn::http2::SendRequest;
use oxtor_runtime::{testing::TestApplication, Application};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// The id of the Tokio task the handler runs on, as text.
fn task_id() -> String {
    format!("{:?}", tokio::task::try_id())
}

/// A response whose body panics at its first poll (on the connection's task).
async fn panics() -> Body {
    Body::from_stream(futures_util::stream::poll_fn(
        |_| -> std::task::Poll<Option<Result<Bytes, std::io::Error>>> {
            panic!("a body that panics (expected in this test)")
        },
    ))
}

async fn server() -> TestApplication {
    let router = Router::new()
        .route("/now", get(|| async { task_id() }))
        .route(
            "/later",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                task_id()
            }),
        )
        .route(
            "/count",
            axum::routing::post(|req: Request| async move {
                let body = req.into_body().collect().await.map(|b| b.to_bytes());
                body.map_or_else(|e| e.to_string(), |b| b.len().to_string())
            }),
        )
        .route("/panic", get(panics));
    let mut app = Application::new(());
    app.routing(router).expect("routes");
    TestApplication::start(app).await.expect("server")
}

/// A new h2c connection to `server`.
async fn connect(server: &TestApplication) -> SendRequest<Body> {
    let tcp = server.connect().await.expect("connect");
    lifecycle_support::h2_handshake(tcp).await.0
}

/// `GET path` on `sender`: the status and body, or the error.
async fn get_text(
    sender: &mut SendRequest<Body>,
    server: &TestApplication,
    path: &str,
) -> Result<(u16, String), hyper::Error> {
    let req = http::Request::get(server.url(path))
        .body(Body::empty())
        .expect("request");
    let res = timeout(LIMIT, sender.send_request(req))
        .await
        .expect("an answer in time")?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

#[tokio::test]
async fn streams_answered_at_once_run_on_their_connections_task() {
    let server = server().await;
    let mut first = connect(&server).await;
    let mut second = connect(&server).await;
    let (status, a) = get_text(&mut first, &server, "/now").await.expect("first");
    let (_, b) = get_text(&mut first, &server, "/now").await.expect("second");
    let (_, other) = get_text(&mut second, &server, "/now").await.expect("other");
    assert_eq!(status, 200);
    assert!(a.starts_with("Some("), "{a}");
    assert_eq!(a, b, "two streams of one connection ran on different tasks");
    assert_ne!(a, other, "streams of two connections ran on the same task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_runtime_with_several_workers_every_stream_has_a_task_of_its_own() {
    let server = server().await;
    let mut sender = connect(&server).await;
    let (status, a) = get_text(&mut sender, &server, "/now").await.expect("first");
    let (_, b) = get_text(&mut sender, &server, "/now")
        .await
        .expect("second");
    assert_eq!(status, 200);
    assert!(a.starts_with("Some("), "{a}");
    assert_ne!(a, b, "two streams of one connection ran on one task");
}

#[tokio::test]
async fn a_stream_that_waits_continues_on_a_task_of_its_own() {
    let server = server().await;
    let mut sender = connect(&server).await;
    let (_, now) = get_text(&mut sender, &server, "/now").await.expect("now");
    let (status, later) = get_text(&mut sender, &server, "/later")
        .await
        .expect("later");
    assert_eq!(status, 200);
    assert!(later.starts_with("Some("), "{later}");
    assert_ne!(now, later);
}

#[tokio::test]
async fn many_waiting_streams_of_one_connection_are_all_woken() {
    let server = server().await;
    let sender = connect(&server).await;
    let calls = (0..64).map(|_| {
        let mut sender = sender.clone();
        let url = server.url("/later");
        tokio::spawn(async move {
            let req = http::Request::get(url)
                .body(Body::empty())
                .expect("request");
            let res = sender.send_request(req).await?;
            Ok::<_, hyper::Error>(res.status().as_u16())
        })
    });
    let statuses = timeout(LIMIT, futures_util::future::join_all(calls))
        .await
        .expect("every stream answered in time");
    for status in statuses {
        assert_eq!(status.expect("task").expect("answer"), 200);
    }
}

#[tokio::test]
async fn a_stream_whose_body_arrives_later_is_woken_by_it() {
    let server = server().await;
    let mut sender = connect(&server).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<http_body::Frame<Bytes>, std::io::Error>>(1);
    let body = Body::new(StreamBody::new(tokio_stream_of(rx)));
    let req = http::Request::post(server.url("/count"))
        .body(body)
        .expect("request");
    let answer = tokio::spawn(sender.send_request(req));
    // The handler's first poll finds no body yet; the chunks come after.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..3 {
        tx.send(Ok(http_body::Frame::data(Bytes::from_static(
            b"0123456789",
        ))))
        .await
        .expect("send a chunk");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(tx);
    let res = timeout(LIMIT, answer)
        .await
        .expect("an answer in time")
        .expect("task")
        .expect("answer");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], b"30");
}

#[tokio::test]
async fn a_stream_whose_body_panics_is_reset_and_its_connection_serves_on() {
    let server = server().await;
    let mut sender = connect(&server).await;
    assert!(
        get_text(&mut sender, &server, "/panic").await.is_err(),
        "a panicking stream is reset"
    );
    let (status, _) = get_text(&mut sender, &server, "/now")
        .await
        .expect("the connection still serves");
    assert_eq!(status, 200);
}

/// The receiving half of a channel as a stream of body frames.
fn tokio_stream_of<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
