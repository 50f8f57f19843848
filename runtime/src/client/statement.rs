//! [`HttpStatement`]: a prepared request (Ktor's `HttpStatement`). Awaiting it (or
//! [`send`](HttpStatement::send)) gives the [`HttpResponse`]; [`execute`](HttpStatement::execute)
//! and [`body`](HttpStatement::body) run their block **on the engine's dispatcher** (only the
//! executor changes: dropping the caller's future still cancels the call);
//! [`execute_blocking`](HttpStatement::execute_blocking) serves plain threads.
//!
//! # Example
//! ```
//! use oxtor_runtime::{client::{Dispatcher, HttpClient}, testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/hello", get(|| async { "Hello, world!" })))?;
//! let server = TestApplication::start(app).await?;
//!
//! let client = HttpClient::configure(|cfg| {
//!     cfg.engine(|e| { e.dispatcher(Dispatcher::Dedicated { worker_threads: 1 }); });
//! })?;
//! let engine = client.runtime_handle().id();
//! let (text, ran_on) = client
//!     .prepare_get(&server.url("/hello"))
//!     .execute(|resp| async move { (resp.text().await, tokio::runtime::Handle::current().id()) })
//!     .await?;
//! assert_eq!(text?, "Hello, world!");
//! assert_eq!(ran_on, engine);
//! # Ok(()) }
//! ```
use std::{
    borrow::Cow,
    future::{Future, IntoFuture},
    pin::Pin,
    time::Duration,
};

use bytes::Bytes;
use futures_util::future::Either;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::connect::capture_connection;
use tokio::sync::oneshot;

use super::{
    body::{FromResponse, HttpResponse, ResponseBody},
    engine::EngineBody,
    error::{ClientError, TimeoutKind},
    plugins::Next,
    pool::idle::ConnHandle,
    request::{ChannelBody, HttpRequestBuilder, RequestBody},
    HttpClient,
};

/// A prepared request; see the [module docs](self).
#[derive(Debug, Clone)]
#[must_use = "a statement does nothing until it is awaited or executed"]
pub struct HttpStatement {
    client: HttpClient,
    request: HttpRequestBuilder,
}

impl HttpStatement {
    pub(crate) fn new(client: HttpClient, request: HttpRequestBuilder) -> Self {
        Self { client, request }
    }

    /// Edits the request in a block (Ktor's `prepareGet(url) { .. }`).
    pub fn with(mut self, f: impl FnOnce(&mut HttpRequestBuilder)) -> Self {
        f(&mut self.request);
        self
    }
    /// Appends a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request.header(name, value);
        self
    }
    /// Appends a query parameter.
    pub fn parameter(mut self, key: &str, value: &str) -> Self {
        self.request.parameter(key, value);
        self
    }
    /// Sets the body.
    pub fn body_from(mut self, body: RequestBody) -> Self {
        self.request.body(body);
        self
    }
    /// Sets a text body.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.request.body(RequestBody::text(text));
        self
    }
    /// Sets a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.request.json(value);
        self
    }
    /// Sets a form body.
    pub fn form<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.request.form(value);
        self
    }
    /// Sets a timeout for this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request.timeout(timeout);
        self
    }
    /// The most the response body may hold when collected whole (`body::<T>()`, `bytes`, `text`,
    /// `json`), overriding the client's `max_body_size` for this call.
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.request.max_body_size(bytes);
        self
    }
    /// The request as built so far (before plugins run).
    pub fn request(&self) -> &HttpRequestBuilder {
        &self.request
    }

    /// The request after the plugins' request hooks ran (`DefaultRequest` merged in), without
    /// sending it.
    pub fn prepared(mut self) -> Result<HttpRequestBuilder, ClientError> {
        for hook in &self.client.inner.pipeline.on_request {
            hook(&mut self.request)?;
        }
        Ok(self.request)
    }

    /// Sends the request and returns the response once its head arrived (on the caller's task;
    /// the engine's I/O still runs on its own runtime).
    pub async fn send(self) -> Result<HttpResponse, ClientError> {
        let client = self.client.clone();
        client
            .on_engine(async move { self.client.send_from(self.request, 0).await })
            .await
    }

    /// Sends the request and runs `block` with the response on the engine's dispatcher.
    pub async fn execute<F, Fut, R>(self, block: F) -> Result<R, ClientError>
    where
        F: FnOnce(HttpResponse) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let client = self.client.clone();
        client
            .on_engine(async move {
                let resp = self.client.send_from(self.request, 0).await?;
                Ok(block(resp).await)
            })
            .await
    }

    /// Sends the request and converts the response into `T` (the whole body is read, within the
    /// request timeout), on the engine's dispatcher.
    pub async fn body<T: FromResponse>(self) -> Result<T, ClientError> {
        self.body_with(|t| async move { t }).await
    }

    /// Like [`body`](Self::body), then runs `block` with the value on the engine's dispatcher
    /// (Ktor's `body<T, R> { .. }`).
    pub async fn body_with<T, F, Fut, R>(self, block: F) -> Result<R, ClientError>
    where
        T: FromResponse,
        F: FnOnce(T) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let client = self.client.clone();
        let timeout = self.timeout_for();
        client
            .on_engine(async move {
                let convert = async {
                    let resp = self.client.send_from(self.request, 0).await?;
                    T::from_response(resp).await
                };
                let value = match timeout {
                    Some(t) => tokio::time::timeout(t, convert)
                        .await
                        .map_err(|_| ClientError::Timeout(TimeoutKind::Request))??,
                    None => convert.await?,
                };
                Ok(block(value).await)
            })
            .await
    }

    /// [`execute`](Self::execute) for plain threads (a GUI thread, a CLI): blocks the current
    /// thread until the block finished on the engine's runtime. Fails with
    /// [`ClientError::Runtime`] when called on a thread that is inside a tokio runtime (an async
    /// worker or a `spawn_blocking` thread): use [`execute`](Self::execute) there.
    pub fn execute_blocking<F, Fut, R>(self, block: F) -> Result<R, ClientError>
    where
        F: FnOnce(HttpResponse) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(ClientError::Runtime(
                "execute_blocking called on an async runtime thread; use execute(..).await".into(),
            ));
        }
        let (tx, rx) = oneshot::channel();
        let handle = self.client.runtime_handle().clone();
        handle.spawn(async move {
            let _ = tx.send(self.execute(block).await);
        });
        rx.blocking_recv()
            .map_err(|_| ClientError::Runtime("the engine runtime shut down".into()))?
    }

    fn timeout_for(&self) -> Option<Duration> {
        self.request
            .timeout
            .or(self.client.engine_config().request_timeout)
    }
}

impl IntoFuture for HttpStatement {
    type Output = Result<HttpResponse, ClientError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Aborts the spawned task when the caller stops waiting (so the caller's cancellation applies).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl HttpClient {
    /// Runs `fut` on the engine's runtime, inline when already there.
    pub(crate) async fn on_engine<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, ClientError>> + Send + 'static,
    ) -> Result<T, ClientError> {
        let handle = self.runtime_handle();
        let here = tokio::runtime::Handle::try_current().map(|h| h.id()).ok();
        if here == Some(handle.id()) {
            return fut.await;
        }
        let mut task = AbortOnDrop(handle.spawn(fut));
        match (&mut task.0).await {
            Ok(res) => res,
            Err(e) => Err(ClientError::Runtime(format!("client task failed: {e}"))),
        }
    }

    /// Sends `request` through the interceptors from `index` on, then the engine.
    pub(crate) async fn send_from(
        &self,
        mut request: HttpRequestBuilder,
        index: usize,
    ) -> Result<HttpResponse, ClientError> {
        if index == 0 {
            for hook in &self.inner.pipeline.on_request {
                hook(&mut request)?;
            }
        }
        if let Some(interceptor) = self.inner.pipeline.interceptors.get(index) {
            let next = Next {
                client: self.clone(),
                index: index + 1,
            };
            return interceptor.intercept(request, next).await;
        }
        self.send_on_engine(Cow::Owned(request)).await
    }

    /// Sends a copy of `request` through the interceptors from `index` (at least 1: the
    /// `on_request` hooks ran) on; when none is left the engine copies only what it sends.
    pub(crate) fn send_lent<'a>(
        &'a self,
        request: &'a HttpRequestBuilder,
        index: usize,
    ) -> impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'a {
        if index < self.inner.pipeline.interceptors.len() {
            Either::Left(self.send_from(request.clone(), index))
        } else {
            Either::Right(self.send_on_engine(Cow::Borrowed(request)))
        }
    }

    async fn send_on_engine(
        &self,
        request: Cow<'_, HttpRequestBuilder>,
    ) -> Result<HttpResponse, ClientError> {
        let engine = &self.inner.engine;
        let config = &engine.config;
        let lent: &HttpRequestBuilder = &request;
        if let Some(e) = &lent.error {
            return Err(e.clone());
        }
        if let Some(h) = &lent.headers.invalid {
            return Err(ClientError::InvalidHeader(h.clone()));
        }
        let uri = lent.url.to_uri()?;
        let max_body_size = lent
            .max_body_size
            .or(self.inner.config.max_body_size)
            .unwrap_or(super::body::DEFAULT_MAX_BODY_SIZE);
        let url = lent.url.to_string();
        let timeout = lent.timeout.or(config.request_timeout);
        let (method, headers, body) = into_message(request);

        let mut duplex = None;
        let mut sent = None;
        let body: EngineBody = match body {
            RequestBody::Empty => Empty::new().map_err(|never| match never {}).boxed_unsync(),
            RequestBody::Bytes(b) => Full::new(b).map_err(|never| match never {}).boxed_unsync(),
            RequestBody::Channel(parts) => {
                let parts = parts
                    .0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .ok_or(ClientError::BodyConsumed)?;
                duplex = Some(parts.shared.clone());
                let mut body = ChannelBody { parts, done: None };
                if config.duplex_streaming_enabled {
                    if !config.http2_prior_knowledge && uri.scheme_str() != Some("https") {
                        return Err(ClientError::DuplexRequiresHttp2);
                    }
                } else {
                    let (tx, rx) = oneshot::channel();
                    body.done = Some(tx);
                    sent = Some(rx);
                }
                body.boxed_unsync()
            }
        };

        let mut req = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(body)
            .map_err(|e| ClientError::InvalidUrl {
                url: url.clone(),
                reason: e.to_string(),
            })?;
        *req.headers_mut() = headers;

        // Duplex over ALPN: only an h2 connection may carry it (OkHttp rejects HTTP/1 too).
        let gate =
            if duplex.is_some() && config.duplex_streaming_enabled && !config.http2_prior_knowledge
            {
                let mut capture = capture_connection(&mut req);
                Some(Box::pin(async move {
                    let h2 = capture
                        .wait_for_connection_metadata()
                        .await
                        .as_ref()
                        .is_some_and(|c| c.is_negotiated_h2());
                    if h2 {
                        Ok(())
                    } else {
                        Err(ClientError::DuplexRequiresHttp2)
                    }
                }))
            } else {
                None
            };
        if let Some(gate) = gate {
            // Re-box the body with the gate in front of it.
            let (parts, body) = req.into_parts();
            req = http::Request::from_parts(
                parts,
                GatedBody {
                    gate: Some(gate),
                    inner: body,
                }
                .boxed_unsync(),
            );
        }

        let send = async {
            let resp = engine
                .client
                .request(req)
                .await
                .map_err(ClientError::transport)?;
            if let Some(sent) = sent {
                // Not duplex: the response is visible only once the request body is sent.
                let _ = sent.await;
            }
            Ok::<_, ClientError>(resp)
        };
        let resp = match timeout {
            Some(t) => tokio::time::timeout(t, send)
                .await
                .map_err(|_| ClientError::Timeout(TimeoutKind::Request))??,
            None => send.await?,
        };
        let conn = resp.extensions().get::<ConnHandle>().cloned();
        let (parts, body) = resp.into_parts();
        let mut body = ResponseBody::new(body, config.socket_timeout, duplex)
            .with_connection(conn)
            .keep_alive(engine.clone());
        body.set_max_body_size(max_body_size);
        Ok(HttpResponse::new(parts, url, body))
    }
}

/// What goes on the wire of a request on its way to the engine: method, headers and body,
/// moved out of an owned request, copied from one an interceptor lent (to send it again).
fn into_message(
    request: Cow<'_, HttpRequestBuilder>,
) -> (http::Method, http::HeaderMap, RequestBody) {
    match request {
        Cow::Owned(r) => (r.method, r.headers.map, r.body),
        Cow::Borrowed(r) => (r.method.clone(), r.headers.map.clone(), r.body.clone()),
    }
}

type Gate = Pin<Box<dyn Future<Output = Result<(), ClientError>> + Send>>;

/// A body that first waits for `gate` (the ALPN check of a duplex call).
struct GatedBody {
    gate: Option<Gate>,
    inner: EngineBody,
}

impl http_body::Body for GatedBody {
    type Data = Bytes;
    type Error = super::error::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        use std::task::Poll;
        if let Some(gate) = self.gate.as_mut() {
            match gate.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => self.gate = None,
                Poll::Ready(Err(e)) => {
                    self.gate = None;
                    return Poll::Ready(Some(Err(Box::new(e))));
                }
            }
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.gate.is_none() && self.inner.is_end_stream()
    }
}
