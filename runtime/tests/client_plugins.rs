//! The client plugin mechanism over real sockets: request hooks in install order, send
//! interceptors that retry (the shape the Auth plugin uses), the interceptors' synchronous fast
//! path (`prepare` / `accepts` / `rejected`), and a derived client sharing the engine.
#![cfg(feature = "client")]

mod client_support;

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use axum::{http::HeaderMap, http::StatusCode, routing::get, Router};
use client_support::serve;
use oxtor_runtime::client::{
    plugins::{
        BoxFuture, ClientPlugin, ConfigBlocks, Next, PluginScope, Prepared, SendInterceptor,
    },
    ClientError, HttpClient, HttpRequestBuilder, HttpResponse,
};

/// Retries a 401 once with `Authorization: Bearer <token>`.
struct RetryWithToken;

#[derive(Default)]
struct RetryConfig {
    token: String,
    sends: Arc<AtomicUsize>,
    /// Keep the request and lend it to `Next::send` instead of cloning it into `Next::run`.
    lend: bool,
}

struct Retry {
    token: String,
    sends: Arc<AtomicUsize>,
    lend: bool,
}

impl SendInterceptor for Retry {
    fn intercept(
        &self,
        request: HttpRequestBuilder,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>> {
        let token = self.token.clone();
        let sends = self.sends.clone();
        if self.lend {
            return Box::pin(async move {
                let mut request = request;
                sends.fetch_add(1, Ordering::SeqCst);
                let first = next.send(&request).await?;
                if first.status() != StatusCode::UNAUTHORIZED {
                    return Ok(first);
                }
                drop(first);
                request.bearer_auth(&token);
                sends.fetch_add(1, Ordering::SeqCst);
                next.send(&request).await
            });
        }
        Box::pin(async move {
            sends.fetch_add(1, Ordering::SeqCst);
            let first = next.clone().run(request.clone()).await?;
            if first.status() != StatusCode::UNAUTHORIZED {
                return Ok(first);
            }
            drop(first);
            let mut retry = request;
            retry.bearer_auth(&token);
            sends.fetch_add(1, Ordering::SeqCst);
            next.run(retry).await
        })
    }
}

impl ClientPlugin for RetryWithToken {
    type Config = RetryConfig;
    const NAME: &'static str = "RetryWithToken";

    fn install(
        blocks: ConfigBlocks<RetryConfig>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError> {
        let config = blocks.build();
        scope.on_send(Retry {
            token: config.token,
            sends: config.sends,
            lend: config.lend,
        });
        Ok(())
    }
}

async fn protected() -> client_support::TestServer {
    let router = Router::new().route(
        "/secret",
        get(|headers: HeaderMap| async move {
            match headers.get("authorization").and_then(|v| v.to_str().ok()) {
                Some("Bearer good") => (StatusCode::OK, "secret".to_owned()),
                _ => (StatusCode::UNAUTHORIZED, String::new()),
            }
        }),
    );
    serve("127.0.0.1", router, vec![]).await
}

#[tokio::test]
async fn a_send_interceptor_can_retry_a_401_with_credentials() {
    let server = protected().await;
    let sends = Arc::new(AtomicUsize::new(0));
    let counter = sends.clone();
    let client = HttpClient::configure(move |cfg| {
        let counter = counter.clone();
        cfg.install(RetryWithToken, move |c| {
            c.token = "good".into();
            c.sends = counter.clone();
        });
    })
    .expect("client");

    let body = client.get(&server.url("/secret")).body::<String>().await;

    assert_eq!(body.expect("retried call"), "secret");
    assert_eq!(sends.load(Ordering::SeqCst), 2);
}

/// Counts the requests that reach it, then passes them on.
struct Count;

struct Counter(Arc<AtomicUsize>);

impl SendInterceptor for Counter {
    fn intercept(
        &self,
        request: HttpRequestBuilder,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(next.run(request))
    }
}

impl ClientPlugin for Count {
    type Config = Arc<AtomicUsize>;
    const NAME: &'static str = "Count";

    fn install(
        blocks: ConfigBlocks<Arc<AtomicUsize>>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError> {
        scope.on_send(Counter(blocks.build()));
        Ok(())
    }
}

#[tokio::test]
async fn a_request_lent_to_the_engine_can_be_sent_again_with_credentials() {
    let server = protected().await;
    let client = HttpClient::configure(|cfg| {
        cfg.install(RetryWithToken, |c| {
            c.token = "good".into();
            c.lend = true;
        });
    })
    .expect("client");

    let body = client.get(&server.url("/secret")).body::<String>().await;

    assert_eq!(body.expect("retried call"), "secret");
}

#[tokio::test]
async fn a_lent_request_goes_through_the_interceptors_after_the_lender() {
    let server = protected().await;
    let passed = Arc::new(AtomicUsize::new(0));
    let counter = passed.clone();
    let client = HttpClient::configure(move |cfg| {
        cfg.install(RetryWithToken, |c| {
            c.token = "good".into();
            c.lend = true;
        });
        let counter = counter.clone();
        cfg.install(Count, move |c| *c = counter.clone());
    })
    .expect("client");

    let body = client.get(&server.url("/secret")).body::<String>().await;

    assert_eq!(body.expect("retried call"), "secret");
    assert_eq!(passed.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failing_retry_returns_the_second_response() {
    let server = protected().await;
    let client = HttpClient::configure(|cfg| {
        cfg.install(RetryWithToken, |c| c.token = "bad".into());
    })
    .expect("client");

    let resp = client.get(&server.url("/secret")).await.expect("response");

    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

/// The synchronous fast path: `prepare` forwards every request with memo 42, a 401 is refused
/// and `rejected` retries it with the token. Counts what ran.
#[derive(Default)]
struct FastCounts {
    intercepts: AtomicUsize,
    rejections: AtomicUsize,
    /// The memo `rejected` got, and the `x-user` header of the request it got.
    seen: std::sync::Mutex<Option<(u64, Option<String>)>>,
}

struct Fast(Arc<FastCounts>);

impl SendInterceptor for Fast {
    fn intercept(
        &self,
        request: HttpRequestBuilder,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>> {
        self.0.intercepts.fetch_add(1, Ordering::SeqCst);
        Box::pin(next.run(request))
    }

    fn prepare(&self, request: &mut HttpRequestBuilder) -> Prepared {
        request.header("x-fast", "1");
        Prepared::Forward(42)
    }

    fn accepts(&self, _memo: u64, response: &HttpResponse) -> bool {
        response.status() != StatusCode::UNAUTHORIZED
    }

    fn rejected(
        &self,
        memo: u64,
        mut request: HttpRequestBuilder,
        _response: HttpResponse,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>> {
        self.0.rejections.fetch_add(1, Ordering::SeqCst);
        let user = request.headers_ref().get("x-user").map(str::to_owned);
        *self.0.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some((memo, user));
        request.bearer_auth("good");
        Box::pin(next.run(request))
    }
}

struct FastPath;

impl ClientPlugin for FastPath {
    type Config = Option<Arc<FastCounts>>;
    const NAME: &'static str = "FastPath";

    fn install(
        blocks: ConfigBlocks<Option<Arc<FastCounts>>>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError> {
        scope.on_send(Fast(blocks.build().unwrap_or_default()));
        Ok(())
    }
}

fn fast_client(counts: &Arc<FastCounts>, then_count: Option<Arc<AtomicUsize>>) -> HttpClient {
    let counts = counts.clone();
    HttpClient::configure(move |cfg| {
        let counts = counts.clone();
        cfg.install(FastPath, move |c| *c = Some(counts.clone()));
        if let Some(passed) = then_count.clone() {
            cfg.install(Count, move |c| *c = passed.clone());
        }
    })
    .expect("client")
}

#[tokio::test]
async fn a_refused_fast_path_response_goes_to_rejected_with_the_request_as_sent() {
    let server = protected().await;
    let counts = Arc::new(FastCounts::default());
    let client = fast_client(&counts, None);

    let body = client
        .get(&server.url("/secret"))
        .header("x-user", "u1")
        .body::<String>()
        .await;

    assert_eq!(body.expect("retried call"), "secret");
    assert_eq!(counts.intercepts.load(Ordering::SeqCst), 0);
    assert_eq!(counts.rejections.load(Ordering::SeqCst), 1);
    let seen = counts
        .seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert_eq!(seen, Some((42, Some("u1".to_owned()))));
}

#[tokio::test]
async fn the_fast_path_is_not_taken_when_another_interceptor_follows() {
    let server = protected().await;
    let counts = Arc::new(FastCounts::default());
    let passed = Arc::new(AtomicUsize::new(0));
    let client = fast_client(&counts, Some(passed.clone()));

    let resp = client.get(&server.url("/secret")).await.expect("response");

    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(counts.intercepts.load(Ordering::SeqCst), 1);
    assert_eq!(passed.load(Ordering::SeqCst), 1);
}

/// Appends its name to `X-Order` on every request.
struct Tag;

#[derive(Default)]
struct TagConfig {
    name: String,
}

impl ClientPlugin for Tag {
    type Config = TagConfig;
    const NAME: &'static str = "Tag";

    fn install(
        blocks: ConfigBlocks<TagConfig>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError> {
        let name = blocks.build().name;
        scope.on_request(move |req| {
            req.header("x-order", &name);
            Ok(())
        });
        Ok(())
    }
}

/// A second plugin type so the order of two plugins can be observed.
struct OtherTag;

impl ClientPlugin for OtherTag {
    type Config = TagConfig;
    const NAME: &'static str = "OtherTag";

    fn install(
        blocks: ConfigBlocks<TagConfig>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError> {
        Tag::install(blocks, scope)
    }
}

#[test]
fn request_hooks_run_in_first_install_order_even_after_a_replace() {
    let client = HttpClient::configure(|cfg| {
        cfg.install(Tag, |c| c.name = "tag".into());
        cfg.install(OtherTag, |c| c.name = "other".into());
        cfg.install_or_replace(Tag, |c| c.name = "tag-replaced".into());
    })
    .expect("client");

    let req = client.get("http://h/").prepared().expect("prepared");

    assert_eq!(
        req.headers_ref().get_all("x-order"),
        vec!["tag-replaced", "other"]
    );
    assert!(client.is_installed::<Tag>());
}

#[tokio::test]
async fn a_derived_client_shares_the_engine_and_its_connections() {
    let server = protected().await;
    let parent = HttpClient::new().expect("parent");
    let child = parent
        .config(|cfg| {
            cfg.install(Tag, |c| c.name = "child".into());
        })
        .expect("child");

    let _ = parent.get(&server.url("/secret")).body::<String>().await;
    let _ = child.get(&server.url("/secret")).body::<String>().await;

    assert_eq!(parent.open_connections(), 1);
    assert_eq!(child.open_connections(), 1);
    assert!(!parent.is_installed::<Tag>());
    assert!(child.is_installed::<Tag>());
}
