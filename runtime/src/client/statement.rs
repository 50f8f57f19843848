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
    future::{Future, IntoFuture},
    pin::Pin,
    time::Duration,
};

use futures_util::{future::Either, FutureExt};
use tokio::sync::oneshot;

use super::{
    body::{FromResponse, HttpResponse},
    error::{ClientError, TimeoutKind},
    request::{HttpRequestBuilder, RequestBody},
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
    pub async fn send(mut self) -> Result<HttpResponse, ClientError> {
        let client = self.client.clone();
        client
            .on_engine(async move { self.client.send_from(&mut self.request, 0).await })
            .await
    }

    /// Sends the request and runs `block` with the response on the engine's dispatcher.
    pub async fn execute<F, Fut, R>(mut self, block: F) -> Result<R, ClientError>
    where
        F: FnOnce(HttpResponse) -> Fut + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let client = self.client.clone();
        client
            .on_engine(async move {
                let resp = self.client.send_from(&mut self.request, 0).await?;
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
    pub async fn body_with<T, F, Fut, R>(mut self, block: F) -> Result<R, ClientError>
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
                // One future is awaited, with or without a timer: a `convert` kept beside a
                // `Timeout` wrapping it would double the size of this (copied) future.
                let converting = {
                    let convert = async {
                        let resp = self.client.send_from(&mut self.request, 0).await?;
                        T::from_response(resp).await
                    };
                    match timeout {
                        Some(t) => Either::Left(tokio::time::timeout(t, convert)),
                        None => Either::Right(convert.map(Ok)),
                    }
                };
                let value = converting
                    .await
                    .map_err(|_| ClientError::Timeout(TimeoutKind::Request))??;
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
