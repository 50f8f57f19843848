//! One call (request → response) as the engine runs it: the per-request [`ClientDisconnect`]
//! signal, the [`AbortCall`] marker, and the future that keeps a call running to completion when
//! hyper lets go of it.
//!
//! hyper drops a service future when its client goes away (an HTTP/1.1 connection error, an
//! HTTP/2 stream reset). Dropped at an arbitrary `.await`, a handler would be cancelled by
//! accident; instead `CallFuture` fires the call's [`ClientDisconnect`] and moves the unfinished
//! future onto its own task, where it runs to completion (or is cancelled by choice, by the
//! [call watch](super::call_watch) when its policy says so). Only a hard stop (the grace period is
//! over, or [`RunningServer::abort`](super::RunningServer::abort)) really drops calls.
//!
//! A call whose handler (or a layer of the application's, in its future or in its `call`) panics
//! answers `500 Internal Server Error` with no body, as Ktor answers an uncaught exception, and
//! its connection serves on;
//! the panic's message is logged at `error`, never sent. (With the `StatusPages` plugin the
//! panic reaches its exception handlers first, as [`HandlerPanicked`](crate::exception::HandlerPanicked).)
//! A response body that panics once its head is sent cuts that response off (its HTTP/1.1
//! connection closes, its HTTP/2 stream is reset, as tokio drops the task that panicked); a
//! client never takes the part sent for the whole.
use std::{
    cell::{Cell, RefCell},
    fmt,
    future::Future,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    sync::{
        atomic::{fence, AtomicBool, AtomicU32, Ordering},
        Arc, OnceLock,
    },
    task::{Context, Poll},
};

use axum::{body::Body, extract::ConnectInfo};
use bytes::Bytes;
use http::{Request, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use pin_project_lite::pin_project;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::{
    app::{service::ConnectionService, AppFuture},
    exception::panic_response,
};

use super::{
    call_watch::{CallMetrics, CallState, CallWatch, WatchedCall},
    control::ConnControl,
    deadline::Deadlines,
    hooks::ConnectionInfo,
    tasks::EngineTasks,
    EngineShared,
};

/// The signal that a call's client went away, in every request's extensions
/// (`Extension<ClientDisconnect>`).
///
/// It fires when the engine learns the client is gone while the call (or anything holding this
/// signal) is alive: the TCP connection was closed or reset — for HTTP/1.1 that includes a FIN
/// while the request body is unread, since a half-close and a vanished client look the same — or
/// the HTTP/2 stream was reset. It never fires for another call's client. The engine's
/// [call watch](super::call_watch) cancels the call on it if its policy says so.
#[derive(Clone)]
pub struct ClientDisconnect(Signal);

/// Where a call's signal is: one reference count either way.
#[derive(Clone)]
enum Signal {
    /// An unwatched HTTP/1.1 call: the connection's token (one call at a time).
    Conn(Arc<ConnState>),
    /// A call with an engine's [`CallState`] (watched, or an HTTP/2 stream), which holds its
    /// connection.
    Call(Arc<CallState>),
}

/// An HTTP/2 stream's own signal: a child of the connection's token, made on first use (most
/// calls never ask, and a child token locks the connection's token when made and dropped).
#[derive(Debug, Default)]
pub(crate) struct StreamSignal {
    token: OnceLock<CancellationToken>,
    /// The stream was reset (hyper dropped the call); read when the token is made later.
    reset: AtomicBool,
}

impl StreamSignal {
    fn token(&self, conn: &CancellationToken) -> &CancellationToken {
        let token = self.token.get_or_init(|| conn.child_token());
        // With the fence in `reset`: either this sees the flag, or `reset` sees the token.
        fence(Ordering::SeqCst);
        if self.reset.load(Ordering::Relaxed) {
            token.cancel();
        }
        token
    }

    fn reset(&self) {
        self.reset.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }
}

impl fmt::Debug for ClientDisconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientDisconnect")
            .field("disconnected", &self.signal().is_cancelled())
            .finish()
    }
}

impl ClientDisconnect {
    /// The signal of an unwatched HTTP/1.1 call on `conn`: the connection's own.
    pub(crate) fn conn(conn: Arc<ConnState>) -> Self {
        Self(Signal::Conn(conn))
    }

    /// The signal of the engine's call `call`, a state [`CallState::engine`] made (it holds the
    /// connection): the stream's own for HTTP/2, else the connection's.
    fn engine_call(call: Arc<CallState>) -> Self {
        Self(Signal::Call(call))
    }

    /// The call's connection.
    fn state(&self) -> &ConnState {
        match &self.0 {
            Signal::Conn(conn) => conn,
            // (Only `engine_call` makes this variant, of a state with a connection.)
            Signal::Call(call) => match call.conn() {
                Some(conn) => conn,
                None => unreachable!("an engine's call state holds its connection"),
            },
        }
    }

    fn stream(&self) -> Option<&StreamSignal> {
        self.call().and_then(|call| call.stream())
    }

    fn signal(&self) -> &CancellationToken {
        let conn = self.state();
        match self.stream() {
            Some(stream) => stream.token(&conn.disconnect),
            None => &conn.disconnect,
        }
    }

    /// Fires the call's signal: its client is gone.
    fn fire(&self) {
        match self.stream() {
            Some(stream) => stream.reset(),
            None => self.state().disconnect.cancel(),
        }
    }

    /// The engine's state of the call, if it has one (watched, or an HTTP/2 stream).
    pub(crate) fn call(&self) -> Option<&Arc<CallState>> {
        match &self.0 {
            Signal::Conn(_) => None,
            Signal::Call(call) => Some(call),
        }
    }

    /// Whether the client is known to be gone. (The first use of a `ClientDisconnect` starts
    /// the connection's watch for the client's close; until then only what hyper noticed
    /// counts.)
    pub fn is_disconnected(&self) -> bool {
        self.state().control.watch();
        self.signal().is_cancelled()
    }

    /// Resolves once the client is gone.
    pub fn disconnected(&self) -> WaitForCancellationFuture<'_> {
        self.state().control.watch();
        self.signal().cancelled()
    }

    /// Resolves once the client is gone, owning its signal.
    pub(crate) fn wait_owned(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.state().control.watch();
        self.signal().clone().cancelled_owned()
    }

    /// A token cancelled once the client is gone (cancelling it yourself affects nobody else).
    pub fn token(&self) -> CancellationToken {
        self.state().control.watch();
        self.signal().child_token()
    }

    /// The connection of the call (see [`ConnectionInfo::of`]).
    pub(crate) fn connection(&self) -> &ConnectionInfo {
        &self.state().info
    }

    /// The counters of the engine's call watch.
    pub(crate) fn metrics(&self) -> &CallMetrics {
        &self.state().metrics
    }

    /// The engine's tasks (see [`EngineTasks::of`]).
    pub(crate) fn engine_tasks(&self) -> &EngineTasks {
        &self.state().tasks
    }
}

/// Put in a response's extensions, it makes the engine drop the call instead of sending the
/// response: an HTTP/1.1 connection is closed, an HTTP/2 stream is reset. For a call whose client
/// is gone anyway (a cancelled call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AbortCall;

/// The error the engine gives hyper for an [`AbortCall`] response.
#[derive(Debug)]
pub(crate) struct CallAborted;

impl fmt::Display for CallAborted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("call aborted: its client went away")
    }
}

impl std::error::Error for CallAborted {}

/// State one connection shares with its calls.
pub(crate) struct ConnState {
    /// Cancelled when the connection is gone; an HTTP/2 call holds a child, an HTTP/1 call
    /// (one at a time) the token itself.
    pub(crate) disconnect: CancellationToken,
    pub(crate) control: Arc<ConnControl>,
    /// The connection, reached through the call's [`ClientDisconnect`] (one allocation per
    /// request less than an extension of its own).
    info: ConnectionInfo,
    /// The server's tasks (and hard stop), for a call that moves onto its own task.
    tasks: EngineTasks,
    /// The engine's timeouts, when on: each call holds the connection busy.
    deadlines: Option<Arc<Deadlines>>,
    /// The counters of the engine's call watch (see [`CallMetrics`]).
    metrics: CallMetrics,
    /// Calls of this connection running on after their client left, and the most allowed.
    detached: AtomicU32,
    max_detached: u32,
}

impl ConnState {
    pub(crate) fn new(shared: &EngineShared, info: &ConnectionInfo) -> Self {
        Self {
            disconnect: CancellationToken::new(),
            control: Arc::new(ConnControl::default()),
            info: info.clone(),
            tasks: shared.tasks.clone(),
            deadlines: shared.deadlines.clone(),
            metrics: shared.hooks.call_watch.metrics.clone(),
            detached: AtomicU32::new(0),
            max_detached: shared.max_detached_calls,
        }
    }
}

/// What every request of a connection starts with: [`ConnectInfo`] and what a stream wrapper
/// attached (`wrapper`), in a map with room for the extensions the engine and axum add per
/// request (cloning it allocates the map and each entry that is not zero-sized, and hashes
/// nothing).
pub(crate) fn connection_extensions(
    info: &ConnectionInfo,
    wrapper: Option<http::Extensions>,
) -> http::Extensions {
    let mut extensions = wrapper.unwrap_or_default();
    extensions.insert(ConnectInfo(info.peer_addr));
    // Grow the map past its first size (3) so that a request's extensions (ours plus axum's
    // `OriginalUri`, `MatchedPath` and URL parameters) fit without a rehash.
    #[derive(Clone)]
    struct Room<const N: usize>;
    extensions.insert(Room::<0>);
    extensions.insert(Room::<1>);
    extensions.insert(Room::<2>);
    extensions.remove::<Room<0>>();
    extensions.remove::<Room<1>>();
    extensions.remove::<Room<2>>();
    extensions
}

/// The hyper service of one connection: runs the router for each request.
pub(crate) struct CallService {
    shared: Arc<EngineShared>,
    /// The application as this connection calls it (its own clone of the outermost app-wide
    /// layer's service); hyper calls the service from the connection's task, one call at a
    /// time.
    app: RefCell<ConnectionService>,
    conn: Arc<ConnState>,
    /// The extensions every request of the connection starts with (see
    /// [`connection_extensions`]).
    extensions: http::Extensions,
    /// The same plus the [`ClientDisconnect`] of every unwatched HTTP/1.1 call (the
    /// connection's signal, no call state): such a call clones it and inserts nothing. `None`
    /// when the engine watches calls.
    http1_extensions: Option<http::Extensions>,
    /// The [`CallState`] the connection's HTTP/1.1 calls reuse (one at a time) when the engine
    /// watches calls: reset for each call unless something still holds it.
    http1_call: Cell<Option<Arc<CallState>>>,
    /// The connection's task was told it serves HTTP/1.1 ([`ConnControl::serves_http1`]).
    http1_noted: Cell<bool>,
}

impl CallService {
    pub(crate) fn new(
        shared: Arc<EngineShared>,
        conn: Arc<ConnState>,
        extensions: http::Extensions,
    ) -> Self {
        // (Held here, not in `ConnState`: the signal holds the connection's state.)
        let http1_extensions = shared.hooks.call_watch.cancel_on_close.is_none().then(|| {
            let mut http1 = extensions.clone();
            http1.insert(ClientDisconnect::conn(conn.clone()));
            http1
        });
        Self {
            app: RefCell::new(ConnectionService::new(&shared.router)),
            shared,
            conn,
            extensions,
            http1_extensions,
            http1_call: Cell::new(None),
            http1_noted: Cell::new(false),
        }
    }

    /// The state of a new HTTP/1.1 call under the engine's watch with policy `cancel`: the
    /// connection's, reset, if the last call let go of it (no allocation), else a new one.
    fn http1_call(&self, cancel: bool) -> Arc<CallState> {
        let reused = self.http1_call.take().and_then(|mut call| {
            Arc::get_mut(&mut call)?.reset(Some(cancel));
            Some(call)
        });
        let call = reused.unwrap_or_else(|| self.new_call(Some(cancel), false));
        self.http1_call.set(Some(call.clone()));
        call
    }

    /// A new engine's state of a call on this connection.
    fn new_call(&self, policy: Option<bool>, http2: bool) -> Arc<CallState> {
        Arc::new(CallState::engine(self.conn.clone(), policy, http2))
    }
}

impl hyper::service::Service<Request<Incoming>> for CallService {
    type Response = Response<CallBody>;
    type Error = CallAborted;
    type Future = CallFuture;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let policy = &self.shared.hooks.call_watch;
        let http2 = req.version() == http::Version::HTTP_2;
        if !http2 && !self.http1_noted.replace(true) {
            self.conn.control.serves_http1();
        }
        let mut req = req.map(request_body);
        let disconnect = match &self.http1_extensions {
            Some(http1) if !http2 => {
                req.extensions_mut().extend(http1.clone());
                ClientDisconnect::conn(self.conn.clone())
            }
            _ => {
                let disconnect = if http2 {
                    ClientDisconnect::engine_call(self.new_call(policy.cancel_on_close, true))
                } else {
                    match policy.cancel_on_close {
                        Some(cancel) => ClientDisconnect::engine_call(self.http1_call(cancel)),
                        None => ClientDisconnect::conn(self.conn.clone()),
                    }
                };
                let ext = req.extensions_mut();
                ext.extend(self.extensions.clone());
                ext.insert(disconnect.clone());
                disconnect
            }
        };
        // A watched call's signal is held by its watch, which gives it back when the call is
        // done (one copy fewer to make and drop).
        let (watch, disconnect) = match (policy.cancel_on_close, disconnect.call()) {
            (Some(_), Some(_)) => (Some(CallWatch::engine(disconnect, &req)), None),
            _ => (None, Some(disconnect)),
        };
        let busy = self.conn.deadlines.is_some();
        if busy {
            self.conn.control.call_started();
        }
        CallFuture {
            inner: Some(WatchedCall::new(self.app.borrow_mut().call(req), watch)),
            disconnect,
            busy,
        }
    }
}

/// The request body as the router takes it: hyper's, boxed, or for a request without one (a
/// `GET`, an HTTP/2 stream ended with its headers) an empty body, which boxes nothing: one
/// allocation per such request less.
fn request_body(body: Incoming) -> Body {
    if http_body::Body::is_end_stream(&body) {
        Body::empty()
    } else {
        Body::new(body)
    }
}

/// The future of one call. See the [module docs](self).
pub(crate) struct CallFuture {
    /// Unpin (axum boxes the handler's future), so an unfinished call can move to its own task.
    inner: Option<WatchedCall<AppFuture>>,
    /// The call's signal, unless the engine watches the call (then its watch holds it, and
    /// gives it back once the call is done); once the call is done, its hold on the connection
    /// moves into the response body as its [`Busy`] (no reference count touched).
    disconnect: Option<ClientDisconnect>,
    /// The call holds the connection busy (no timeout) until its response is sent.
    busy: bool,
}

/// A call in flight on a connection whose timeouts are on; dropped when its response is sent
/// (or dropped), which starts the connection's idle timeout if it was the last.
pub(crate) struct Busy(ClientDisconnect);

impl Busy {
    /// The end of a call that held `conn` busy.
    fn end(conn: &ConnState) {
        if let Some(deadlines) = &conn.deadlines {
            deadlines.call_ended(&conn.control);
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        Busy::end(self.0.state());
    }
}

pin_project! {
    /// A response body as the engine sends it: the application's, plus what holds the
    /// connection busy until hyper has sent (or dropped) it.
    pub(crate) struct CallBody {
        #[pin]
        inner: Body,
        busy: Option<Busy>,
    }
}

impl http_body::Body for CallBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Future for CallFuture {
    type Output = Result<Response<CallBody>, CallAborted>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err(CallAborted));
        };
        let (res, released) =
            match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll(cx))) {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(Ok(res))) => (res, inner.take_released()),
                Ok(Poll::Ready(Err(never))) => match never {},
                Err(payload) => {
                    let released = inner.engine_disconnect();
                    let dead = self.inner.take();
                    // What a panic leaves behind is dropped; a panic while dropping it too.
                    let _ = catch_unwind(AssertUnwindSafe(move || drop(dead)));
                    (panic_response(&*payload), released)
                }
            };
        self.inner = None;
        let busy = match self.disconnect.take().or(released) {
            Some(disconnect) if std::mem::take(&mut self.busy) => Some(Busy(disconnect)),
            _ => None,
        };
        if res.extensions().get::<AbortCall>().is_some() {
            Poll::Ready(Err(CallAborted))
        } else {
            Poll::Ready(Ok(res.map(|inner| CallBody { inner, busy })))
        }
    }
}

impl Drop for CallFuture {
    fn drop(&mut self) {
        let disconnect = match self.disconnect.take() {
            Some(disconnect) => disconnect,
            // A watched call's signal (its watch goes on holding it).
            None => match self.inner.as_ref().and_then(WatchedCall::engine_disconnect) {
                Some(disconnect) => disconnect,
                None => return,
            },
        };
        if self.busy {
            Busy::end(disconnect.state());
        }
        let Some(inner) = self.inner.take() else {
            return;
        };
        // hyper let go of an unfinished call: its client is gone.
        disconnect.fire();
        let conn = disconnect.state();
        if conn.tasks.hard_stop().is_cancelled() {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if conn.detached.fetch_add(1, Ordering::AcqRel) >= conn.max_detached {
            // A client resetting streams faster than their calls finish (HTTP/2 Rapid Reset):
            // this call is dropped, and the connection closed.
            conn.detached.fetch_sub(1, Ordering::AcqRel);
            conn.control.close_gracefully();
            tracing::debug!(
                max = conn.max_detached,
                "too many calls outlived their client on this connection; dropping this one, \
                 closing the connection"
            );
            return;
        }
        // The graceful shutdown waits for the call.
        tracing::debug!("client went away; the call runs on to completion");
        let tracked = conn.tasks.track(inner);
        handle.spawn(async move {
            tracked.await;
            disconnect.state().detached.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

#[cfg(test)]
mod tests {
    use std::mem::size_of;

    use super::*;

    /// hyper moves each call's future (into the connection's in-flight slot, or into a task
    /// of its own for HTTP/2), and a layer's box holds the application's: both are a few words.
    /// The router's future (320 bytes, axum's) is boxed on its own (see `app::service`); inline,
    /// every call paid for copying it (callgrind, showcase `/hello`: +312 instructions a call).
    #[test]
    fn a_call_future_is_a_few_words() {
        let word = size_of::<usize>();
        assert!(
            size_of::<AppFuture>() <= 6 * word,
            "AppFuture is {} bytes",
            size_of::<AppFuture>()
        );
        let extra = size_of::<CallFuture>() - size_of::<AppFuture>();
        assert!(extra <= 12 * word, "CallFuture adds {extra} bytes");
    }
}
