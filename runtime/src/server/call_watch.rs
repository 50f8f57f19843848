//! Call watching, owned by the engine: each watched call's [`CallState`] (reached from its
//! request with [`CallState::of`]), the [`CallWatch`] that reacts when the call's client goes
//! away, the future that runs it ([`WatchedCall`]) and its counters ([`CallMetrics`]).
//!
//! The engine watches every call once a plugin sets the policy with
//! [`EngineHooks::cancel_calls_on_close`](super::EngineHooks::cancel_calls_on_close) (what the
//! `HttpRequestLifecycle` plugin does): no router layer, so a call that finishes in one poll
//! never looks at its client, and no allocation per call: an HTTP/1.1 connection (one call at a
//! time) reuses one state for its calls, an HTTP/2 stream has one of its own. A tower layer can
//! watch a route group the same way with [`CallWatch::begin`] and [`WatchedCall`]; the first
//! watch on a request's way owns the call, later ones only set its policy
//! ([`CallState::set_cancel_on_close`]).
//!
//! When the client goes away (see [`ClientDisconnect`]) while the call runs:
//! - policy **cancel**: the call's token ([`CallState::token`]) is cancelled, the handler is
//!   polled once more (so a `select!` branch on the token runs), then dropped; the engine sends
//!   nothing ([`AbortCall`]); counted in [`CallMetrics::cancelled_calls`];
//! - policy **keep**: the call runs to completion, its response is discarded; counted in
//!   [`CallMetrics::calls_finished_without_client`].
//!
//! # Example
//! A plugin of its own (it could live in any crate) that makes the engine cancel calls whose
//! client goes away, and a handler that reads its call's state:
//! ```
//! use axum::{extract::Request, routing::get, Router};
//! use oxtor_runtime::{
//!     server::{CallMetrics, CallState}, testing::TestApplication, Application, Plugin, Result,
//! };
//!
//! struct CancelOnClose(CallMetrics);
//!
//! impl<S: Clone + Send + Sync + 'static> Plugin<S> for CancelOnClose {
//!     const NAME: &'static str = "CancelOnClose";
//!     fn install(self, app: &mut Application<S>) -> Result<()> {
//!         app.engine_hooks().set_call_metrics(self.0).cancel_calls_on_close(true);
//!         Ok(())
//!     }
//! }
//!
//! async fn policy(req: Request) -> String {
//!     let call = CallState::of(req.extensions()).map(|call| call.cancel_on_close());
//!     format!("cancel on close: {call:?}")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<()> {
//! let metrics = CallMetrics::new();
//! let mut app = Application::new(());
//! app.install(CancelOnClose(metrics.clone()))?;
//! app.routing(Router::new().route("/", get(policy)))?;
//! let server = TestApplication::start(app).await?;
//! assert_eq!(server.get_text("/").await?, "cancel on close: Some(true)");
//! assert_eq!(metrics.cancelled_calls(), 0);
//! # Ok(()) }
//! ```
use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, OnceLock,
    },
    task::{Context, Poll},
    time::Instant,
};

use http::{Extensions, Method, Request, Response, Uri};
use pin_project_lite::pin_project;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::call::{AbortCall, ClientDisconnect, ConnState, StreamSignal};

/// The state of one watched call: its policy and its cancellation. Reached from the request
/// with [`CallState::of`]. The engine's is the call's [`ClientDisconnect`] (an HTTP/1.1
/// connection reuses one for its calls, an HTTP/2 stream has its own); a watch outside the
/// engine puts it in the request's extensions (`Extension<Arc<CallState>>`).
pub struct CallState {
    /// Cancelled when the call is; made on first use (most calls never ask).
    token: OnceLock<CancellationToken>,
    cancelled: AtomicBool,
    cancel_on_close: AtomicBool,
    /// A watch owns the call (the engine's, or the first layer's on the request's way).
    watched: AtomicBool,
    /// An HTTP/2 stream's own disconnect signal; `None` for HTTP/1.1 (the connection's).
    stream: Option<StreamSignal>,
    /// The connection of an engine's call: its [`ClientDisconnect`] is this state alone (one
    /// reference count per copy, not two). `None` for a state a watch outside the engine made.
    conn: Option<Arc<ConnState>>,
}

impl std::fmt::Debug for CallState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallState")
            .field("cancelled", &self.is_cancelled())
            .field("cancel_on_close", &self.cancel_on_close())
            .field("watched", &self.watched.load(Ordering::Relaxed))
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl CallState {
    /// The state a watch outside the engine makes (and tests).
    pub(crate) fn new(cancel_on_close: bool) -> Self {
        Self::with(None, Some(cancel_on_close), false)
    }

    /// The engine's state of a call on `conn`: watched with `policy` if the engine watches
    /// calls, with a stream signal of its own for HTTP/2.
    pub(crate) fn engine(conn: Arc<ConnState>, policy: Option<bool>, http2: bool) -> Self {
        Self::with(Some(conn), policy, http2)
    }

    /// A fresh state: `conn` for the engine's calls, watched with `policy` if any.
    fn with(conn: Option<Arc<ConnState>>, policy: Option<bool>, http2: bool) -> Self {
        Self {
            token: OnceLock::new(),
            cancelled: AtomicBool::new(false),
            cancel_on_close: AtomicBool::new(policy.unwrap_or(false)),
            watched: AtomicBool::new(policy.is_some()),
            stream: http2.then(StreamSignal::default),
            conn,
        }
    }

    /// This HTTP/1.1 call's state (no stream signal) made new again for the next call on its
    /// connection, watched with `policy`: what [`engine`](Self::engine) makes, without
    /// touching the connection's reference count.
    #[inline]
    pub(crate) fn reset(&mut self, policy: Option<bool>) {
        // (Most calls make no token: nothing to drop then.)
        if self.token.get().is_some() {
            self.token = OnceLock::new();
        }
        *self.cancelled.get_mut() = false;
        *self.cancel_on_close.get_mut() = policy.unwrap_or(false);
        *self.watched.get_mut() = policy.is_some();
    }

    /// The connection of an engine's call.
    pub(crate) fn conn(&self) -> Option<&Arc<ConnState>> {
        self.conn.as_ref()
    }

    /// The state of the watched call `extensions` belong to: the engine's, or the one a watch
    /// outside the engine put there; `None` if no watch covers the call.
    pub fn of(extensions: &Extensions) -> Option<&Arc<Self>> {
        extensions
            .get::<ClientDisconnect>()
            .and_then(ClientDisconnect::call)
            .filter(|call| call.watched.load(Ordering::Acquire))
            .or_else(|| extensions.get::<Arc<Self>>())
    }

    /// The HTTP/2 stream's own disconnect signal.
    pub(crate) fn stream(&self) -> Option<&StreamSignal> {
        self.stream.as_ref()
    }

    /// Marks the call watched; `false` if a watch already owned it.
    fn take_watch(&self) -> bool {
        !self.watched.swap(true, Ordering::AcqRel)
    }

    /// A token cancelled when the call is (already cancelled if the call already is).
    pub fn token(&self) -> CancellationToken {
        let token = self.token.get_or_init(CancellationToken::new).clone();
        if self.cancelled.load(Ordering::Acquire) {
            token.cancel();
        }
        token
    }

    /// Whether the call was cancelled because its client went away.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Cancels the call's token.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    /// Whether the call is cancelled when its client goes away.
    pub fn cancel_on_close(&self) -> bool {
        self.cancel_on_close.load(Ordering::Relaxed)
    }

    /// Sets the call's policy (a per-route layer inside the watch that owns the call does).
    pub fn set_cancel_on_close(&self, cancel: bool) {
        self.cancel_on_close.store(cancel, Ordering::Relaxed);
    }
}

/// Counters of watched calls whose client went away, readable at any time (a cheap clone
/// shares them). See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct CallMetrics {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    cancelled: AtomicU64,
    finished_without_client: AtomicU64,
}

impl CallMetrics {
    /// New counters at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls cancelled because their client went away (policy: cancel on close).
    pub fn cancelled_calls(&self) -> u64 {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// Calls whose client went away but that ran to completion (policy: keep); their responses
    /// were discarded.
    pub fn calls_finished_without_client(&self) -> u64 {
        self.inner.finished_without_client.load(Ordering::Relaxed)
    }

    fn record_cancelled(&self) {
        self.inner.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    fn record_finished_without_client(&self) {
        self.inner
            .finished_without_client
            .fetch_add(1, Ordering::Relaxed);
    }
}

/// The engine's call-watch policy, set through [`EngineHooks`](super::EngineHooks).
#[derive(Clone, Debug, Default)]
pub(crate) struct CallWatchPolicy {
    /// `Some(default policy)` once a plugin asked the engine to watch calls.
    pub(crate) cancel_on_close: Option<bool>,
    pub(crate) metrics: CallMetrics,
}

/// What the debug log of a call whose client went away says; only kept while `debug` is on.
struct CallLog {
    started: Instant,
    method: Method,
    uri: Uri,
}

impl CallLog {
    fn new<B>(req: &Request<B>) -> Option<Box<Self>> {
        tracing::enabled!(tracing::Level::DEBUG).then(|| {
            Box::new(Self {
                started: Instant::now(),
                method: req.method().clone(),
                uri: req.uri().clone(),
            })
        })
    }

    fn log(&self, message: &'static str) {
        tracing::debug!(
            method = %self.method,
            uri = %self.uri,
            latency_ms = self.started.elapsed().as_secs_f64() * 1e3,
            "{message}"
        );
    }
}

/// The watch of one call: what [`WatchedCall`] keeps for when the call's client goes away.
pub struct CallWatch {
    /// Made when the call first waits: a call done in one poll never watches its client.
    gone: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    owner: Owner,
    /// Boxed: with `debug` off (no box), the call's future stays small to move.
    log: Option<Box<CallLog>>,
    disconnected: bool,
}

/// Who watches the call, and what it needs.
enum Owner {
    /// The engine: the call's state and the counters are the ones its signal reaches (no
    /// reference count touched per call). `None` once the finished call released it.
    Engine(Option<ClientDisconnect>),
    /// A tower layer.
    Layer {
        call: Arc<CallState>,
        /// The call's client; `None` outside oxtor's engine (nothing to watch).
        disconnect: Option<ClientDisconnect>,
        metrics: CallMetrics,
    },
}

impl std::fmt::Debug for CallWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallWatch")
            .field("call", &self.call())
            .field("disconnected", &self.disconnected)
            .finish_non_exhaustive()
    }
}

impl CallWatch {
    /// Takes charge of a call before its request goes in, for a tower layer: if a watch on the
    /// request's way already owns the call (see [`CallState::of`]), sets that call's policy and
    /// returns `None`; otherwise takes the engine's [`CallState`] of the call (an HTTP/2
    /// stream's) or puts a new one in the request, and returns its watch — or `None` if no
    /// engine tells about the client (no [`ClientDisconnect`] in the request: served by
    /// something else than oxtor's engine).
    pub fn begin<B>(
        req: &mut Request<B>,
        cancel_on_close: bool,
        metrics: &CallMetrics,
    ) -> Option<Self> {
        let ext = req.extensions();
        let disconnect = ext.get::<ClientDisconnect>();
        let found = disconnect
            .and_then(ClientDisconnect::call)
            .or_else(|| ext.get::<Arc<CallState>>());
        if let Some(call) = found {
            call.set_cancel_on_close(cancel_on_close);
            if !call.take_watch() {
                return None;
            }
            let (call, disconnect) = (call.clone(), disconnect.cloned());
            return Some(Self::watching(call, disconnect, metrics, req));
        }
        let disconnect = disconnect.cloned();
        let watched = disconnect.is_some();
        let call = Arc::new(CallState::new(cancel_on_close));
        req.extensions_mut().insert(call.clone());
        watched.then(|| Self::watching(call, disconnect, metrics, req))
    }

    /// [`begin`](Self::begin) for the engine, the first on every request's way: the call's
    /// state is the one its `disconnect` holds (which must have one), the counters the ones of
    /// its connection; no look-ups.
    pub(crate) fn engine<B>(disconnect: ClientDisconnect, req: &Request<B>) -> Self {
        Self {
            gone: None,
            owner: Owner::Engine(Some(disconnect)),
            log: CallLog::new(req),
            disconnected: false,
        }
    }

    fn watching<B>(
        call: Arc<CallState>,
        disconnect: Option<ClientDisconnect>,
        metrics: &CallMetrics,
        req: &Request<B>,
    ) -> Self {
        Self {
            gone: None,
            owner: Owner::Layer {
                call,
                disconnect,
                metrics: metrics.clone(),
            },
            log: CallLog::new(req),
            disconnected: false,
        }
    }

    /// The watched call's state.
    fn call(&self) -> Option<&Arc<CallState>> {
        match &self.owner {
            Owner::Engine(disconnect) => disconnect.as_ref().and_then(ClientDisconnect::call),
            Owner::Layer { call, .. } => Some(call),
        }
    }

    fn disconnect(&self) -> Option<&ClientDisconnect> {
        match &self.owner {
            Owner::Engine(disconnect) => disconnect.as_ref(),
            Owner::Layer { disconnect, .. } => disconnect.as_ref(),
        }
    }

    fn metrics(&self) -> Option<&CallMetrics> {
        match &self.owner {
            Owner::Engine(disconnect) => disconnect.as_ref().map(ClientDisconnect::metrics),
            Owner::Layer { metrics, .. } => Some(metrics),
        }
    }
}

pin_project! {
    /// A call's response future under its [`CallWatch`] (or passed through without one).
    /// See the [module docs](self).
    pub struct WatchedCall<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Passthrough { #[pin] fut: F },
        Watching {
            #[pin] fut: F,
            watch: CallWatch,
        },
        Done {
            // The engine's signal of the finished call, released by its watch for the
            // engine's `CallFuture` to take (see [`WatchedCall::take_released`]).
            released: Option<ClientDisconnect>,
        },
    }
}

impl<F> WatchedCall<F> {
    /// `fut`, watched if `watch` is given (see [`CallWatch::begin`]).
    pub fn new(fut: F, watch: Option<CallWatch>) -> Self {
        let state = match watch {
            Some(watch) => State::Watching { fut, watch },
            None => State::Passthrough { fut },
        };
        Self { state }
    }

    /// The engine's signal of the call, held by its watch (see [`CallWatch::engine`]): a copy
    /// while the call runs, `None` if the engine does not watch it.
    pub(crate) fn engine_disconnect(&self) -> Option<ClientDisconnect> {
        match &self.state {
            State::Watching {
                watch:
                    CallWatch {
                        owner: Owner::Engine(Some(disconnect)),
                        ..
                    },
                ..
            } => Some(disconnect.clone()),
            _ => None,
        }
    }

    /// Once the call is finished, the engine's signal its watch held (`None` if the engine did
    /// not watch it, or it was taken already): no reference count touched.
    pub(crate) fn take_released(&mut self) -> Option<ClientDisconnect> {
        match &mut self.state {
            State::Done { released } => released.take(),
            _ => None,
        }
    }
}

impl<F: std::fmt::Debug> std::fmt::Debug for WatchedCall<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Passthrough { .. } => "passthrough",
            State::Watching { .. } => "watching",
            State::Done { .. } => "done",
        };
        f.debug_struct("WatchedCall")
            .field("state", &state)
            .finish()
    }
}

impl<F, ResBody, E> Future for WatchedCall<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let (mut fut, watch) = match state.as_mut().project() {
            StateProj::Passthrough { fut } => return fut.poll(cx),
            StateProj::Watching { fut, watch } => (fut, watch),
            StateProj::Done { .. } => return Poll::Ready(Ok(aborted())),
        };
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            if watch.disconnected {
                if let Some(metrics) = watch.metrics() {
                    metrics.record_finished_without_client();
                }
                if let Some(log) = &watch.log {
                    log.log("call finished after its client went away; response discarded");
                }
            }
            finish(state);
            return Poll::Ready(out);
        }
        if watch.disconnected {
            return Poll::Pending;
        }
        if watch.gone.is_none() {
            let Some(d) = watch.disconnect() else {
                return Poll::Pending;
            };
            watch.gone = Some(Box::pin(d.wait_owned()));
        }
        if let Some(gone) = &mut watch.gone {
            if gone.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        watch.disconnected = true;
        let Some(call) = watch.call().filter(|call| call.cancel_on_close()) else {
            return Poll::Pending;
        };
        // Cancel: tell the handler, give it one poll to run a `select!` branch on its
        // cancellation, then drop it (its `Drop` guards run).
        call.cancel();
        let _ = fut.poll(cx);
        if let Some(metrics) = watch.metrics() {
            metrics.record_cancelled();
        }
        if let Some(log) = &watch.log {
            log.log("call cancelled: its client went away");
        }
        finish(state);
        Poll::Ready(Ok(aborted()))
    }
}

/// Ends a watched call: drops its future and its watch, keeping the engine's signal (which the
/// watch held in the engine's place) for [`WatchedCall::take_released`].
fn finish<F>(mut state: Pin<&mut State<F>>) {
    let released = match state.as_mut().project() {
        StateProj::Watching { watch, .. } => match &mut watch.owner {
            Owner::Engine(disconnect) => disconnect.take(),
            Owner::Layer { .. } => None,
        },
        _ => None,
    };
    // (Dropped in place: the future is pinned.)
    state.set(State::Done { released });
}

/// The response of a cancelled call: the engine drops the call instead of sending it.
fn aborted<B: Default>() -> Response<B> {
    let mut res = Response::new(B::default());
    res.extensions_mut().insert(AbortCall);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_made_after_the_call_was_cancelled_is_cancelled() {
        let call = CallState::new(true);
        call.cancel();
        assert!(call.token().is_cancelled());
    }

    #[test]
    fn cancelling_cancels_a_token_made_before() {
        let call = CallState::new(true);
        let token = call.token();
        assert!(!token.is_cancelled());
        call.cancel();
        assert!(token.is_cancelled());
    }

    #[test]
    fn begin_without_an_engine_puts_state_but_does_not_watch() {
        let mut req = Request::new(());
        let watch = CallWatch::begin(&mut req, true, &CallMetrics::new());
        assert!(watch.is_none());
        let call = req.extensions().get::<Arc<CallState>>().expect("state");
        assert!(call.cancel_on_close());
    }

    #[test]
    fn a_later_begin_only_sets_the_policy_of_the_owning_watch() {
        let mut req = Request::new(());
        let _ = CallWatch::begin(&mut req, true, &CallMetrics::new());
        assert!(CallWatch::begin(&mut req, false, &CallMetrics::new()).is_none());
        let call = req.extensions().get::<Arc<CallState>>().expect("state");
        assert!(!call.cancel_on_close());
    }
}
