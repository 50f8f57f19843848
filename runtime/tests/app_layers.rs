//! App-wide layers (`Application::layer`, what plugins install) over real sockets: they wrap the
//! whole router once, before routing, as Ktor runs plugins before routing.
mod curl_support;

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderMap, HeaderValue, Uri},
    middleware::{map_request, map_response},
    response::Response,
    routing::get,
    Router,
};
use oxtor_runtime::{testing::TestApplication, Application};

/// `GET /hello` answering "hi", and `GET /trace` answering its `x-trace` request header.
fn routes() -> Router {
    Router::new().route("/hello", get(|| async { "hi" })).route(
        "/trace",
        get(|headers: HeaderMap| async move {
            let trace = headers.get("x-trace").cloned();
            trace.map_or_else(String::new, |v| v.to_str().unwrap_or("").to_owned())
        }),
    )
}

/// Marks every response it sees with `x-seen: 1`.
async fn seen(mut res: Response) -> Response {
    res.headers_mut()
        .insert("x-seen", HeaderValue::from_static("1"));
    res
}

fn app_with_seen() -> Application {
    let mut app = Application::new(());
    app.layer(map_response(seen));
    app.routing(routes()).expect("routes");
    app
}

/// Appends `name` to the request's `x-trace` header.
fn trace(req: &mut Request, name: &str) {
    let trace = match req.headers().get("x-trace").and_then(|v| v.to_str().ok()) {
        Some(before) => format!("{before},{name}"),
        None => name.to_owned(),
    };
    let value = HeaderValue::from_str(&trace).expect("visible ASCII");
    req.headers_mut().insert("x-trace", value);
}

#[tokio::test]
async fn an_app_layer_sees_a_call_no_route_matches() {
    let server = TestApplication::start(app_with_seen())
        .await
        .expect("start");
    let res = server.get("/missing").await.expect("response");
    assert_eq!(
        (res.status().as_u16(), res.header("x-seen")),
        (404, Some("1"))
    );
}

#[tokio::test]
async fn an_app_layer_sees_a_call_whose_method_is_not_allowed() {
    let server = TestApplication::start(app_with_seen())
        .await
        .expect("start");
    let res = server
        .request(http::Method::POST, "/hello")
        .send()
        .await
        .expect("response");
    assert_eq!(
        (res.status().as_u16(), res.header("x-seen")),
        (405, Some("1"))
    );
}

#[tokio::test]
async fn app_layers_see_the_request_in_install_order() {
    let mut app = Application::new(());
    app.layer(map_request(|mut req: Request| async move {
        trace(&mut req, "first");
        req
    }));
    app.layer(map_request(|mut req: Request| async move {
        trace(&mut req, "second");
        req
    }));
    app.routing(routes()).expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    assert_eq!(
        server.get_text("/trace").await.expect("text"),
        "first,second"
    );
}

#[tokio::test]
async fn an_app_layer_that_rewrites_the_uri_changes_the_route() {
    let mut app = Application::new(());
    app.layer(map_request(|mut req: Request| async move {
        if req.uri().path() == "/old" {
            *req.uri_mut() = Uri::from_static("/hello");
        }
        req
    }));
    app.routing(routes()).expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    assert_eq!(server.get_text("/old").await.expect("text"), "hi");
}

#[tokio::test]
async fn an_app_layer_runs_before_routing_so_it_sees_no_matched_path() {
    let mut app = Application::new(());
    app.layer(map_request(|mut req: Request| async move {
        let before = req.extensions().get::<MatchedPath>().is_some();
        let value = HeaderValue::from_static(if before { "matched" } else { "unmatched" });
        req.headers_mut().insert("x-layer", value);
        req
    }));
    let handler = |path: MatchedPath, headers: HeaderMap| async move {
        let layer = headers.get("x-layer").cloned();
        let layer = layer.map_or_else(String::new, |v| v.to_str().unwrap_or("").to_owned());
        format!("{layer} {}", path.as_str())
    };
    app.routing(Router::new().route("/books/{id}", get(handler)))
        .expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    assert_eq!(
        server.get_text("/books/7").await.expect("text"),
        "unmatched /books/{id}"
    );
}

/// `curl -i URL`: the status line and headers, then the body, as text.
async fn curl(url: &str) -> String {
    String::from_utf8_lossy(&curl_support::curl(&["-i", url]).await).to_lowercase()
}

/// Serves `service` with `axum::serve` on 127.0.0.1 until the test's runtime ends; its URL.
async fn axum_serve<M, S>(service: M) -> String
where
    M: for<'a> tower::Service<
            axum::serve::IncomingStream<'a, tokio::net::TcpListener>,
            Error = std::convert::Infallible,
            Response = S,
        > + Send
        + 'static,
    for<'a> <M as tower::Service<axum::serve::IncomingStream<'a, tokio::net::TcpListener>>>::Future:
        Send,
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, service).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn into_router_keeps_app_layers_around_every_call_under_axum_serve() {
    let url = axum_serve(app_with_seen().into_router()).await;
    let hello = curl(&format!("{url}/hello")).await;
    let missing = curl(&format!("{url}/missing")).await;
    assert!(hello.starts_with("http/1.1 200"), "{hello}");
    assert!(
        hello.contains("x-seen: 1") && hello.ends_with("hi"),
        "{hello}"
    );
    assert!(missing.starts_with("http/1.1 404"), "{missing}");
    assert!(missing.contains("x-seen: 1"), "{missing}");
}

#[tokio::test]
async fn axum_serve_serves_the_app_service() {
    let url = axum_serve(app_with_seen().into_service()).await;
    let hello = curl(&format!("{url}/hello")).await;
    assert!(hello.starts_with("http/1.1 200"), "{hello}");
    assert!(
        hello.contains("x-seen: 1") && hello.ends_with("hi"),
        "{hello}"
    );
}

#[cfg(feature = "status-pages")]
#[tokio::test]
async fn status_pages_replace_a_405_of_a_route_without_the_method() {
    use oxtor_runtime::plugins::status_pages::StatusPages;
    let mut app = Application::new(());
    app.install(StatusPages::configure(|cfg| {
        cfg.status(405, |_call, code| (code, "no such method here"));
    }))
    .expect("install");
    app.routing(routes()).expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    let res = server
        .request(http::Method::DELETE, "/hello")
        .send()
        .await
        .expect("response");
    assert_eq!(
        (res.status().as_u16(), res.text().expect("text").as_str()),
        (405, "no such method here")
    );
}

#[cfg(feature = "cors")]
#[tokio::test]
async fn cors_answers_a_preflight_for_a_path_no_route_matches() {
    use oxtor_runtime::plugins::cors::CORS;
    let mut app = Application::new(());
    app.install(CORS::configure(|cfg| {
        cfg.any_host();
    }))
    .expect("install");
    app.routing(routes()).expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    let res = server
        .request(http::Method::OPTIONS, "/nowhere")
        .header("origin", "http://my-host")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("response");
    assert_eq!(
        (
            res.status().as_u16(),
            res.header("access-control-allow-origin")
        ),
        (200, Some("*"))
    );
}

/// A layer whose service is not ready for its first 20 ms (a rate limiter, say): it wakes the
/// task that last asked, once ready.
#[derive(Clone)]
struct LateReady<S> {
    inner: S,
    ready_at: Option<tokio::time::Instant>,
}

impl<S: tower::Service<Request>> tower::Service<Request> for LateReady<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        let now = tokio::time::Instant::now();
        let ready_at = *self
            .ready_at
            .get_or_insert(now + std::time::Duration::from_millis(20));
        if now < ready_at {
            let waker = cx.waker().clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(ready_at).await;
                waker.wake();
            });
            return std::task::Poll::Pending;
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> S::Future {
        self.inner.call(req)
    }
}

/// Status and body of `GET /hello` over a fresh connection, which must be answered within
/// `secs` seconds.
async fn hello_within(server: &TestApplication, secs: u64) -> (u16, String) {
    let res = tokio::time::timeout(std::time::Duration::from_secs(secs), server.get("/hello"))
        .await
        .unwrap_or_else(|_| panic!("GET /hello not answered within {secs} s"))
        .expect("response");
    (res.status().as_u16(), res.text().expect("UTF-8 body"))
}

#[tokio::test]
async fn an_app_layer_not_ready_at_first_answers_once_ready() {
    let mut app = Application::new(());
    app.layer(tower::layer::layer_fn(|inner| LateReady {
        inner,
        ready_at: None,
    }));
    app.routing(routes()).expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    assert_eq!(hello_within(&server, 10).await, (200, "hi".to_owned()));
}

/// `GET /big`: 4 KiB of text, which Compression encodes for a client that accepts gzip.
fn big_routes() -> Router {
    Router::new().route("/big", get(|| async { "compress me ".repeat(400) }))
}

/// Records the `Content-Encoding` of the response it sees in `x-layer-saw` (`none` without).
async fn saw_encoding(mut res: Response) -> Response {
    let saw = res
        .headers()
        .get(http::header::CONTENT_ENCODING)
        .cloned()
        .unwrap_or(HeaderValue::from_static("none"));
    res.headers_mut().insert("x-layer-saw", saw);
    res
}

/// `GET /big` with `Accept-Encoding: gzip` on `app`: (Content-Encoding, x-layer-saw).
async fn big_gzip(app: Application) -> (Option<String>, Option<String>) {
    let server = TestApplication::start(app).await.expect("start");
    let res = server
        .request(http::Method::GET, "/big")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("response");
    assert_eq!(res.status().as_u16(), 200);
    let header = |name: &str| res.header(name).map(str::to_owned);
    (header("content-encoding"), header("x-layer-saw"))
}

#[tokio::test]
async fn a_layer_installed_before_compression_sees_the_compressed_response() {
    let mut app = Application::new(());
    app.layer(map_response(saw_encoding));
    app.install(oxtor_runtime::plugins::compression::Compression::default())
        .expect("install");
    app.routing(big_routes()).expect("routes");
    assert_eq!(
        big_gzip(app).await,
        (Some("gzip".to_owned()), Some("gzip".to_owned()))
    );
}

#[tokio::test]
async fn a_layer_installed_after_compression_sees_the_response_before_it_is_compressed() {
    let mut app = Application::new(());
    app.install(oxtor_runtime::plugins::compression::Compression::default())
        .expect("install");
    app.layer(map_response(saw_encoding));
    app.routing(big_routes()).expect("routes");
    assert_eq!(
        big_gzip(app).await,
        (Some("gzip".to_owned()), Some("none".to_owned()))
    );
}

/// Counts its clones (in the counter every clone shares); captured by a layer's closure, it
/// counts the clones of the layer's service.
struct CountClones(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Clone for CountClones {
    fn clone(&self) -> Self {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(self.0.clone())
    }
}

/// The engine clones the outermost layer's service when a connection opens (see
/// `oxtor_runtime::app::service`); the connection's calls then use that clone.
#[tokio::test]
async fn calls_on_one_connection_do_not_clone_the_outermost_app_layer() {
    let clones = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = CountClones(clones.clone());
    let mut app = Application::new(());
    app.layer(tower::util::MapRequestLayer::new(move |req: Request| {
        let _ = &counted;
        req
    }));
    app.routing(routes()).expect("routes");
    let server = TestApplication::start(app).await.expect("start");
    let client = server.client();
    let get = || async {
        let uri = server.url("/hello").parse().expect("a URI");
        let res = client.get(uri).await.expect("response");
        assert_eq!(res.status(), 200);
    };
    // The first call opens the kept-alive connection; three more go over it.
    get().await;
    let before = clones.load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..3 {
        get().await;
    }
    assert_eq!(clones.load(std::sync::atomic::Ordering::SeqCst) - before, 0);
}

#[tokio::test]
async fn a_call_waiting_for_an_app_layer_concurrency_limit_is_answered_once_the_slot_frees() {
    let mut app = Application::new(());
    app.layer(tower::limit::ConcurrencyLimitLayer::new(1));
    app.routing(
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    "slow"
                }),
            )
            .route("/hello", get(|| async { "hi" })),
    )
    .expect("routes");
    let server = std::sync::Arc::new(TestApplication::start(app).await.expect("start"));
    // One connection takes the only slot for 300 ms...
    let first = server.clone();
    let slow = tokio::spawn(async move { first.get_text("/slow").await });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // ...and a call on another connection waits for it, then is answered.
    assert_eq!(hello_within(&server, 5).await, (200, "hi".to_owned()));
    let slow = slow
        .await
        .expect("the slow call's task")
        .expect("the slow call");
    assert_eq!(slow, "slow");
}
