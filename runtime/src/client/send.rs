//! The send chain of a call: the plugins' `on_request` hooks, the send interceptors, then the
//! engine (hyper-util's pooled client), and [`HttpClient::on_engine`], which runs a call on the
//! engine's runtime.
//!
//! Every future a call awaits is copied when it is moved or boxed (into a spawned task, a
//! `join_all`, an interceptor's box), so the chain keeps them small: the hooks run, the request
//! is turned into what goes on the wire and handed to hyper **before** the first await, and the
//! future that is left holds only hyper's (boxed) response future, the timeout (its timer boxed,
//! only when there is one) and what the response is built from; it borrows neither the client
//! nor the request, so an interceptor can keep both next to it. An interceptor's future
//! ([`Next::send`](super::plugins::Next::send)) is as small as the engine call it waits on.
//!
//! The request stays in the caller's future while it is sent. That is what lets the last
//! interceptor decide without a box
//! ([`SendInterceptor::prepare`](super::plugins::SendInterceptor::prepare), the Auth plugin with
//! a cached token): its header map goes to the engine, clones of its headers stay beside the
//! engine's future ([`KeptHeaders`]), and only a response the interceptor refuses makes a box,
//! with the request put back together.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{
//!     plugins::{BoxFuture, ClientPlugin, ConfigBlocks, Next, PluginScope, SendInterceptor},
//!     ClientError, HttpClient, HttpRequestBuilder, HttpResponse,
//! };
//! use oxtor_runtime::{testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! /// Sends each request again when the first answer is a 503.
//! struct RetryOnce;
//! impl SendInterceptor for RetryOnce {
//!     fn intercept(&self, request: HttpRequestBuilder, next: Next)
//!         -> BoxFuture<Result<HttpResponse, ClientError>> {
//!         Box::pin(async move {
//!             let first = next.send(&request).await?; // the request is lent, kept for a retry
//!             if first.status() != 503 { return Ok(first); }
//!             next.run(request).await
//!         })
//!     }
//! }
//! struct Retry;
//! impl ClientPlugin for Retry {
//!     type Config = ();
//!     const NAME: &'static str = "Retry";
//!     fn install(_: ConfigBlocks<()>, scope: &mut PluginScope) -> Result<(), ClientError> {
//!         scope.on_send(RetryOnce);
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/hello", get(|| async { "Hello, world!" })))?;
//! let server = TestApplication::start(app).await?;
//! let client = HttpClient::configure(|cfg| { cfg.install(Retry, |_| {}); })?;
//! assert_eq!(client.get(&server.url("/hello")).body::<String>().await?, "Hello, world!");
//! # Ok(()) }
//! ```
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use futures_util::future::{ready, Either};
use http::{header::HeaderName, HeaderValue};
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::{connect::capture_connection, ResponseFuture};
use smallvec::SmallVec;
use tokio::{sync::oneshot, time::Instant};

use super::{
    body::{HttpResponse, ResponseBody},
    engine::{Engine, EngineBody, FOREVER},
    error::{ClientError, TimeoutKind},
    plugins::{BoxFuture, Next, Prepared, SendInterceptor},
    pool::idle::ConnHandle,
    request::{ChannelBody, DuplexShared, HttpRequestBuilder, RequestBody},
    request_body::{GatedBody, Written},
    HttpClient,
};

/// Aborts the spawned task when the caller stops waiting (so the caller's cancellation applies).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A request handed to hyper: its response future and what the [`HttpResponse`] is built from.
struct Dispatched {
    response: ResponseFuture,
    /// Resolves once a streaming (non-duplex) request body is sent.
    sent: Option<oneshot::Receiver<()>>,
    /// Resolves once hyper is done with the request body (all of it handed to the connection,
    /// or given up); only when there is a socket timeout, which starts then.
    written: Option<oneshot::Receiver<()>>,
    duplex: Option<Arc<DuplexShared>>,
    timeout: Option<Duration>,
    url: String,
    max_body_size: u64,
}

impl HttpClient {
    /// Runs `fut` on the engine's runtime: inline when already there, else as a task there
    /// (spawned now; aborted when the returned future is dropped). Call it from inside an
    /// `async` body, so nothing starts before the caller's future is polled.
    pub(crate) fn on_engine<T, F>(
        &self,
        fut: F,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + use<T, F>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        let handle = self.runtime_handle();
        let here = tokio::runtime::Handle::try_current().map(|h| h.id()).ok();
        if here == Some(handle.id()) {
            return Either::Left(fut);
        }
        let mut task = AbortOnDrop(handle.spawn(fut));
        Either::Right(async move {
            match (&mut task.0).await {
                Ok(res) => res,
                Err(e) => Err(ClientError::Runtime(format!("client task failed: {e}"))),
            }
        })
    }

    /// Sends `request` through the interceptors from `index` on, then the engine. The hooks
    /// (at `index` 0) and the hand-over to the interceptor or the engine run now; the returned
    /// future only waits. Call it from inside an `async` body. The request stays in the
    /// caller's future: the last interceptor's fast path
    /// ([`SendInterceptor::prepare`](super::plugins::SendInterceptor::prepare)) keeps it there for
    /// a retry, so that path needs no box; otherwise what is sent is moved out of it.
    pub(crate) fn send_from<'a>(
        &'a self,
        request: &'a mut HttpRequestBuilder,
        index: usize,
    ) -> impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'a {
        if index == 0 {
            for hook in &self.inner.pipeline.on_request {
                if let Err(e) = hook(request) {
                    return Either::Left(Either::Left(ready(Err(e))));
                }
            }
        }
        let interceptors = &self.inner.pipeline.interceptors;
        if let Some(interceptor) = interceptors.get(index) {
            if index + 1 == interceptors.len() {
                if let Prepared::Forward(memo) = interceptor.prepare(request) {
                    return Either::Right(Either::Right(self.forward(request, index, memo)));
                }
            }
            let next = Next {
                client: self.clone(),
                index: index + 1,
            };
            let request = std::mem::replace(request, HttpRequestBuilder::taken());
            return Either::Left(Either::Right(interceptor.intercept(request, next)));
        }
        Either::Right(Either::Left(
            self.send_on_engine(Source::Taken(request), None),
        ))
    }

    /// The fast path of the last interceptor, whose `prepare` forwarded `request`: its header
    /// map goes to the engine now (kept as [`KeptHeaders`] for a retry) and the request stays
    /// where it is.
    fn forward<'a>(
        &'a self,
        request: &'a mut HttpRequestBuilder,
        index: usize,
        memo: u64,
    ) -> Forwarded<'a, impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'static>
    {
        let headers = std::mem::take(&mut request.headers.map);
        let kept = KeptHeaders::of(&headers);
        Forwarded {
            sending: self.send_on_engine(Source::Lent(request), Some(headers)),
            check: Check::Waiting(Waiting {
                client: self,
                index,
                memo,
                request,
                kept,
            }),
        }
    }

    /// The interceptor at `index` of the send chain.
    fn interceptor(&self, index: usize) -> Option<&dyn SendInterceptor> {
        self.inner.pipeline.interceptors.get(index).map(|i| &**i)
    }

    /// Sends a copy of `request` through the interceptors from `index` (at least 1: the
    /// `on_request` hooks ran) on; when none is left the engine copies only what it sends.
    pub(crate) fn send_lent<'a>(
        &'a self,
        request: &'a HttpRequestBuilder,
        index: usize,
    ) -> impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'a {
        if index < self.inner.pipeline.interceptors.len() {
            Either::Left(async move {
                let mut copy = request.clone();
                self.send_from(&mut copy, index).await
            })
        } else {
            Either::Right(self.send_on_engine(Source::Lent(request), None))
        }
    }

    /// Sends a lent `request` to the engine with `headers` in place of its own: for an
    /// interceptor that took the request's header map out (no copy) and kept what it needs to
    /// send it again (the Auth plugin). Only when no interceptor is left after `index`.
    /// The request is handed to hyper now; the returned future borrows neither the client nor
    /// the request (the interceptor keeps them next to it).
    #[cfg(feature = "client-auth")]
    pub(crate) fn send_lent_with_headers(
        &self,
        request: &HttpRequestBuilder,
        headers: http::HeaderMap,
    ) -> impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'static + use<> {
        self.send_on_engine(Source::Lent(request), Some(headers))
    }

    /// Whether an interceptor follows `index` in the send chain.
    #[cfg(feature = "client-auth")]
    pub(crate) fn intercepted_after(&self, index: usize) -> bool {
        index < self.inner.pipeline.interceptors.len()
    }

    /// Hands `request` to hyper now (with `headers` in place of a lent request's own, when
    /// given); the future waits for the response head.
    fn send_on_engine(
        &self,
        request: Source<'_>,
        headers: Option<http::HeaderMap>,
    ) -> impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'static + use<> {
        match self.dispatch(request, headers) {
            Ok(dispatched) => Either::Left(exchange(self.inner.engine.clone(), dispatched)),
            Err(e) => Either::Right(ready(Err(e))),
        }
    }

    /// Turns `request` into an `http::Request` (moving out of an owned one, copying what is sent
    /// of a lent one) and gives it to hyper's pooled client.
    fn dispatch(
        &self,
        request: Source<'_>,
        headers: Option<http::HeaderMap>,
    ) -> Result<Dispatched, ClientError> {
        let engine = &self.inner.engine;
        let config = &engine.config;
        let lent: &HttpRequestBuilder = match &request {
            Source::Taken(r) => r,
            Source::Lent(r) => r,
        };
        if let Some(e) = &lent.error {
            return Err(ClientError::clone(e));
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
        let (method, headers, body) = into_message(request, headers);

        let mut duplex = None;
        let mut sent = None;
        let (written_tx, written) = match config.socket_timeout {
            Some(_) => {
                let (tx, rx) = oneshot::channel();
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let body: EngineBody = match body {
            RequestBody::Empty => Written::wrap(Empty::new(), written_tx),
            RequestBody::Bytes(b) => Written::wrap(Full::new(b), written_tx),
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
                Written::wrap(body, written_tx)
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
        if duplex.is_some() && config.duplex_streaming_enabled && !config.http2_prior_knowledge {
            let mut capture = capture_connection(&mut req);
            let gate = Box::pin(async move {
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
            });
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

        Ok(Dispatched {
            response: engine.client.request(req),
            sent,
            written,
            duplex,
            timeout,
            url,
            max_body_size,
        })
    }
}

/// Waits for the response head of a dispatched request and wraps it; the response body keeps
/// `engine`. Not an `async fn`: the block uses the fields it captured in place instead of
/// keeping a second copy of them.
///
/// Two timeouts bound the wait: the request timeout from the start, and the socket timeout
/// (a read-inactivity timeout, as Apache5's) from the moment the request body is written,
/// so neither a pool wait or connect (bounded by their own timeouts) nor a long upload or a
/// duplex writer still sending counts as silence.
fn exchange(
    engine: Arc<Engine>,
    dispatched: Dispatched,
) -> impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'static {
    let Dispatched {
        response,
        sent,
        mut written,
        duplex,
        timeout,
        url,
        max_body_size,
    } = dispatched;
    async move {
        let send = async move {
            let resp = response.await.map_err(ClientError::transport)?;
            if let Some(sent) = sent {
                // Not duplex: the response is visible only once the request body is sent.
                let _ = sent.await;
            }
            Ok::<_, ClientError>(resp)
        };
        let socket_timeout = engine.config.socket_timeout;
        // The timer is boxed, made once it is needed, and handed on to the response body for its
        // idle timeout: in place it would make every call's future, copied when it is moved or
        // boxed, ~120 bytes larger.
        let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
        let resp = if timeout.is_none() && written.is_none() {
            send.await?
        } else {
            let request_deadline = timeout.map(|t| Instant::now() + t.min(FOREVER));
            let mut socket_deadline = None;
            let mut send = std::pin::pin!(send);
            std::future::poll_fn(|cx| {
                if let Poll::Ready(resp) = send.as_mut().poll(cx) {
                    return Poll::Ready(resp);
                }
                if let (Some(rx), Some(t)) = (written.as_mut(), socket_timeout) {
                    if Pin::new(rx).poll(cx).is_ready() {
                        written = None;
                        socket_deadline = Some(Instant::now() + t.min(FOREVER));
                    }
                }
                let deadline = match (request_deadline, socket_deadline) {
                    (Some(r), Some(s)) => r.min(s),
                    (Some(d), None) | (None, Some(d)) => d,
                    (None, None) => return Poll::Pending,
                };
                let sleep =
                    timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                std::task::ready!(sleep.as_mut().poll(cx));
                let kind = if request_deadline == Some(deadline) {
                    TimeoutKind::Request
                } else {
                    TimeoutKind::Socket
                };
                Poll::Ready(Err(ClientError::Timeout(kind)))
            })
            .await?
        };
        let conn = resp.extensions().get::<ConnHandle>().cloned();
        let (parts, body) = resp.into_parts();
        let mut body = ResponseBody::new(body, socket_timeout, duplex, timer)
            .with_connection(conn)
            .keep_alive(engine);
        body.set_max_body_size(max_body_size);
        Ok(HttpResponse::new(parts, url, body))
    }
}

/// Where the request the engine sends comes from.
enum Source<'a> {
    /// A request sent once: what goes on the wire is moved out of it.
    Taken(&'a mut HttpRequestBuilder),
    /// A request its owner keeps (to send it again): what goes on the wire is copied.
    Lent(&'a HttpRequestBuilder),
}

/// What goes on the wire of a request on its way to the engine: method, headers and body,
/// moved out of a taken request, copied from a lent one. `headers`, when given, replace a lent
/// request's own (which the lender took out of it).
fn into_message(
    request: Source<'_>,
    headers: Option<http::HeaderMap>,
) -> (http::Method, http::HeaderMap, RequestBody) {
    match request {
        Source::Taken(r) => (
            std::mem::take(&mut r.method),
            std::mem::take(&mut r.headers.map),
            std::mem::take(&mut r.body),
        ),
        Source::Lent(r) => (
            r.method.clone(),
            headers.unwrap_or_else(|| copy_headers(&r.headers.map)),
            r.body.clone(),
        ),
    }
}

/// The headers of a request whose header map went to the engine, kept for a retry: clones of
/// names and values (reference counts). One is kept inline (a request with only its
/// `Authorization` allocates nothing for them), more in one allocation: the slot is part of
/// every call's future (with or without an interceptor), which is copied when it is moved or
/// boxed, and each inline header would add 72 bytes to it.
pub(crate) struct KeptHeaders(SmallVec<[(HeaderName, HeaderValue); 1]>);

impl KeptHeaders {
    pub(crate) fn of(map: &http::HeaderMap) -> Self {
        let mut kept = SmallVec::with_capacity(map.len());
        for (name, value) in map {
            kept.push((name.clone(), value.clone()));
        }
        Self(kept)
    }

    /// Puts the headers back into `map` (the emptied map of the request they were kept from).
    pub(crate) fn restore(self, map: &mut http::HeaderMap) {
        for (name, value) in self.0 {
            // They all fitted in the request's map before, so they fit again.
            if map.try_append(name, value).is_err() {
                break;
            }
        }
    }
}

/// What a [`Forwarded`] call keeps while the engine answers: enough to hand a refused response
/// and the request as it was sent to the interceptor.
struct Waiting<'a> {
    client: &'a HttpClient,
    /// The interceptor's index in the chain.
    index: usize,
    memo: u64,
    request: &'a mut HttpRequestBuilder,
    kept: KeptHeaders,
}

/// Where a [`Forwarded`] call is.
enum Check<'a> {
    Waiting(Waiting<'a>),
    Rejected(BoxFuture<Result<HttpResponse, ClientError>>),
    Done,
}

pin_project_lite::pin_project! {
    /// A call the last interceptor forwarded from its fast path: it waits for the engine's answer
    /// (`sending`), shows it to the interceptor's `accepts`, and only for a refused one runs the
    /// interceptor's `rejected` (boxed). A hand-written future, so that the engine's future is
    /// held once, in place.
    struct Forwarded<'a, S> {
        #[pin]
        sending: S,
        check: Check<'a>,
    }
}

impl<S> Future for Forwarded<'_, S>
where
    S: Future<Output = Result<HttpResponse, ClientError>>,
{
    type Output = Result<HttpResponse, ClientError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Check::Rejected(retry) = this.check {
            return retry.as_mut().poll(cx);
        }
        // The answer is looked at in place and handed on as it came (a response is large, and
        // each move of it a copy) unless the interceptor refuses it.
        let answer = std::task::ready!(this.sending.poll(cx));
        let accepted = match (&answer, &*this.check) {
            (Ok(response), Check::Waiting(w)) => w
                .client
                .interceptor(w.index)
                .is_none_or(|i| i.accepts(w.memo, response)),
            _ => true,
        };
        if accepted {
            *this.check = Check::Done;
            return Poll::Ready(answer);
        }
        let (Ok(response), Check::Waiting(waiting)) =
            (answer, std::mem::replace(this.check, Check::Done))
        else {
            return Poll::Ready(Err(ClientError::Runtime(
                "call polled after it completed".into(),
            )));
        };
        let Waiting {
            client,
            index,
            memo,
            request,
            kept,
        } = waiting;
        let Some(interceptor) = client.interceptor(index) else {
            return Poll::Ready(Ok(response));
        };
        kept.restore(&mut request.headers.map);
        let request = std::mem::replace(request, HttpRequestBuilder::taken());
        let next = Next {
            client: client.clone(),
            index: index + 1,
        };
        let mut retry = interceptor.rejected(memo, request, response, next);
        let first = retry.as_mut().poll(cx);
        if first.is_pending() {
            *this.check = Check::Rejected(retry);
        }
        first
    }
}

/// Room left in a copied header map for what hyper adds to a request (`host`).
const HEADER_HEADROOM: usize = 2;

/// A copy of `map` with room for the headers hyper adds, so they do not grow it again (a
/// `clone` has no spare room: hyper's `host` would reallocate it on every retry-kept request).
fn copy_headers(map: &http::HeaderMap) -> http::HeaderMap {
    let Ok(mut copy) = http::HeaderMap::try_with_capacity(map.len() + HEADER_HEADROOM) else {
        return map.clone();
    };
    for (name, value) in map {
        if copy.try_append(name.clone(), value.clone()).is_err() {
            return map.clone();
        }
    }
    copy
}
