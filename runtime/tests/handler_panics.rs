//! A panic in a handler, a layer or a response body, without the `StatusPages` plugin, over
//! real sockets: the call answers `500` with no body (as Ktor answers an uncaught exception)
//! and its connection serves on; a body that panics once its response has started cuts that
//! response off (the HTTP/1.1 connection closes, the HTTP/2 stream is reset) and nothing else.
mod curl_support;
mod lifecycle_support;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    extract::Request,
    middleware::{self, Next},
    response::Response,
    routing::get,
    Router,
};
use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body_util::BodyExt;
use oxtor_runtime::{
    plugins::lifecycle::HttpRequestLifecycle, testing::TestApplication, Application,
};
use tokio::time::timeout;
use tracing::subscriber::DefaultGuard;

const LIMIT: Duration = Duration::from_secs(10);

/// The message of every panic in this file (the test harness prints it; it is expected).
const BUG: &str = "a bug in a handler (this panic is expected by the test)";

async fn panics_at_once() -> &'static str {
    panic!("{BUG}")
}

async fn panics_after_an_await() -> &'static str {
    tokio::time::sleep(Duration::from_millis(5)).await;
    panic!("{BUG}")
}

/// A streamed body: one chunk, then (once the head and that chunk are out) a panic.
async fn body_panics() -> Body {
    let first = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(
        b"the first part",
    ))]);
    let then_a_bug = futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        panic!("{BUG}")
    });
    Body::from_stream(first.chain(then_a_bug))
}

async fn panicking_layer(req: Request, next: Next) -> Response {
    if req.uri().path() == "/layer" {
        panic!("{BUG}");
    }
    next.run(req).await
}

/// Panics for `GET /call`; as an app-wide `MapRequestLayer`, in its service's `call` itself
/// (before there is a future).
fn panics_in_call(req: Request) -> Request {
    if req.uri().path() == "/call" {
        panic!("{BUG}");
    }
    req
}

/// The server, and what it logs: every test of this file captures the log on its thread (its
/// runtime has one thread, so the server logs there too). Every test does, so that no thread
/// without a subscriber makes `tracing` cache the engine's log lines as unwanted.
async fn server() -> (TestApplication, Log, DefaultGuard) {
    served(false).await
}

/// [`server`], with `HttpRequestLifecycle { cancel_call_on_close = true }` installed if
/// `watched` (the engine then watches every call).
async fn served(watched: bool) -> (TestApplication, Log, DefaultGuard) {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let router = Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route("/panic", get(panics_at_once))
        .route("/later", get(panics_after_an_await))
        .route("/layer", get(|| async { "unreachable" }))
        .route("/body", get(body_panics))
        .layer(middleware::from_fn(panicking_layer));
    let mut app = Application::new(());
    app.layer(tower::util::MapRequestLayer::new(panics_in_call));
    if watched {
        app.install(HttpRequestLifecycle::configure(|cfg| {
            cfg.cancel_call_on_close(true);
        }))
        .expect("plugin");
    }
    app.routing(router).expect("routes");
    let server = TestApplication::start(app).await.expect("server");
    (server, log, guard)
}

#[tokio::test]
async fn a_handler_that_panics_answers_500_with_no_body() {
    let (server, _log, _guard) = server().await;
    let res = server.get("/panic").await.expect("an answer");
    assert_eq!(res.status(), 500);
    assert_eq!(res.body().len(), 0, "the panic message is not sent");
}

#[tokio::test]
async fn a_handler_that_panics_after_an_await_answers_500() {
    let (server, _log, _guard) = server().await;
    let res = server.get("/later").await.expect("an answer");
    assert_eq!(res.status(), 500);
}

#[tokio::test]
async fn a_layer_that_panics_answers_500() {
    let (server, _log, _guard) = server().await;
    let res = server.get("/layer").await.expect("an answer");
    assert_eq!(res.status(), 500);
}

/// curl's `GET first`, then `GET /ok`, over one connection if it stays open: for each, the
/// status and the number of connections curl opened for it.
async fn twice_over_one_connection(server: &TestApplication, first: &str) -> String {
    let out = curl_support::curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{num_connects}\n",
        &server.url(first),
        "-o",
        "/dev/null",
        &server.url("/ok"),
    ])
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

/// curl sends both requests over one connection: the second needs no new connect.
#[tokio::test]
async fn an_http1_connection_serves_on_after_a_handler_panics() {
    let (server, _log, _guard) = server().await;
    assert_eq!(
        twice_over_one_connection(&server, "/panic").await,
        "500 1\n200 0\n"
    );
}

/// The panic comes from an app-wide layer's `call`, before there is a future to poll.
#[tokio::test]
async fn an_app_layer_whose_call_panics_answers_500_and_its_connection_serves_on() {
    let (server, _log, _guard) = server().await;
    assert_eq!(
        twice_over_one_connection(&server, "/call").await,
        "500 1\n200 0\n"
    );
}

/// The engine watches every call (HttpRequestLifecycle): the call's state is given back after
/// the panic, and the next call on the connection reuses it.
#[tokio::test]
async fn a_watched_call_that_panics_answers_500_and_its_connection_serves_on() {
    let (server, _log, _guard) = served(true).await;
    assert_eq!(
        twice_over_one_connection(&server, "/later").await,
        "500 1\n200 0\n"
    );
}

#[tokio::test]
async fn an_h2c_stream_whose_handler_panics_answers_500_and_its_connection_serves_on() {
    let (server, _log, _guard) = server().await;
    let tcp = server.connect().await.expect("connect");
    let (mut sender, _conn) = lifecycle_support::h2_handshake(tcp).await;
    let res = h2_get(&mut sender, &server, "/panic")
        .await
        .expect("an answer, not a reset");
    assert_eq!(res.status(), 500);
    let res = h2_get(&mut sender, &server, "/ok")
        .await
        .expect("the connection serves on");
    assert_eq!(res.status(), 200);
}

/// The client sees an error, never a short body it could take for the whole one.
#[tokio::test]
async fn a_body_that_panics_cuts_off_its_http1_response() {
    let (server, _log, _guard) = server().await;
    let res = timeout(
        LIMIT,
        server
            .client()
            .get(server.url("/body").parse().expect("uri")),
    )
    .await
    .expect("in time")
    .expect("the head was sent");
    assert_eq!(res.status(), 200);
    let body = timeout(LIMIT, res.into_body().collect())
        .await
        .expect("in time");
    assert!(body.is_err(), "a cut-off body reads as whole");
}

#[tokio::test]
async fn a_body_that_panics_resets_its_h2c_stream_only() {
    let (server, _log, _guard) = server().await;
    let tcp = server.connect().await.expect("connect");
    let (mut sender, conn) = lifecycle_support::h2_handshake(tcp).await;
    let res = h2_get(&mut sender, &server, "/body")
        .await
        .expect("the head was sent");
    let body = timeout(LIMIT, res.into_body().collect())
        .await
        .expect("in time");
    assert!(body.is_err(), "a cut-off body reads as whole");
    let res = h2_get(&mut sender, &server, "/ok")
        .await
        .expect("the connection serves on");
    assert_eq!(res.status(), 200);
    assert!(!conn.is_finished(), "the connection was closed");
}

/// `GET path` as one more stream of an h2c connection (`LIMIT` at most): its head, or the
/// stream's error.
async fn h2_get(
    sender: &mut hyper::client::conn::http2::SendRequest<Body>,
    server: &TestApplication,
    path: &str,
) -> hyper::Result<Response<hyper::body::Incoming>> {
    let req = http::Request::get(server.url(path))
        .body(Body::empty())
        .expect("request");
    timeout(LIMIT, sender.send_request(req))
        .await
        .expect("in time")
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The line logged while `GET path` is answered, that contains `what`.
async fn logged_line(path: &str, what: &str) -> String {
    let (server, log, _guard) = server().await;
    let _ = server.get(path).await;
    let text = String::from_utf8_lossy(&log.0.lock().expect("log")).into_owned();
    text.lines()
        .find(|line| line.contains(what))
        .unwrap_or_else(|| panic!("no line with {what:?} in {text:?}"))
        .to_owned()
}

#[tokio::test]
async fn a_handler_panic_is_logged_at_error_with_its_message() {
    let line = logged_line("/panic", "a handler panicked").await;
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains(BUG), "{line}");
}
