//! [`EngineHooks`]: what plugins register with the engine, per connection.
//!
//! A plugin registers hooks from its `install` through
//! [`Application::engine_hooks`](crate::Application::engine_hooks):
//! - [`EngineHooks::on_connection`] / [`EngineHooks::on_connection_closed`] see every accepted
//!   connection ([`ConnectionInfo`]: id, peer and local address);
//! - [`EngineHooks::wrap_stream`] installs the one [`StreamWrapper`] that turns the accepted TCP
//!   stream into the stream HTTP is spoken over (TLS does its handshake there) and may attach
//!   extensions every request on that connection carries;
//! - [`EngineHooks::cancel_calls_on_close`] makes the engine watch every call for its client's
//!   going away, with that policy ([`call_watch`](super::call_watch)), counting into
//!   [`EngineHooks::set_call_metrics`]'s counters.
//!
//! # Example
//! ```
//! use std::sync::{atomic::{AtomicUsize, Ordering}, Arc};
//! use axum::{routing::get, Router};
//! use oxtor_runtime::{server::{ConnectionInfo, WrappedStream}, testing::TestApplication, Application};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let accepted = Arc::new(AtomicUsize::new(0));
//! let mut app = Application::new(());
//! let seen = accepted.clone();
//! app.engine_hooks().on_connection(move |conn: &ConnectionInfo| {
//!     assert!(conn.peer_addr.ip().is_loopback());
//!     seen.fetch_add(1, Ordering::SeqCst);
//! });
//! // Where TLS does its handshake; this one passes the stream through unchanged.
//! app.engine_hooks().wrap_stream(|io, _conn: &ConnectionInfo| async move {
//!     Ok(WrappedStream { io, extensions: http::Extensions::new() })
//! })?;
//! app.routing(Router::new().route("/", get(|| async { "hi" })))?;
//! let server = TestApplication::start(app).await?;
//! assert_eq!(server.get_text("/").await?, "hi");
//! assert_eq!(accepted.load(Ordering::SeqCst), 1);
//! # Ok(()) }
//! ```
use std::{fmt, future::Future, io, net::SocketAddr, pin::Pin, sync::Arc};

use tokio::io::{AsyncRead, AsyncWrite};

use super::call_watch::{CallMetrics, CallWatchPolicy};
use crate::{Error, Result};

/// A bidirectional byte stream the engine can serve HTTP over (a TCP stream, a TLS stream).
pub trait ConnectionIo: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> ConnectionIo for T {}

/// A boxed [`ConnectionIo`], what a [`StreamWrapper`] takes and returns.
pub type BoxedIo = Box<dyn ConnectionIo>;

/// The future a [`StreamWrapper`] returns.
pub type WrapFuture = Pin<Box<dyn Future<Output = io::Result<WrappedStream>> + Send + 'static>>;

/// What a [`StreamWrapper`] produced: the stream to serve HTTP over, and extensions copied into
/// every request of the connection (e.g. the client's TLS certificates).
pub struct WrappedStream {
    /// The stream HTTP is served over.
    pub io: BoxedIo,
    /// Extensions every request on this connection carries.
    pub extensions: http::Extensions,
}

/// Put in a [`WrappedStream`]'s extensions by a wrapper that secures the connection (the TLS
/// connector does): every request on it then has the `https` scheme — in
/// [`RequestOrigin`](crate::origin::RequestOrigin), and so for HSTS, CORS and redirects — also over
/// HTTP/1.1, whose request line carries no scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecureConnection;

impl WrappedStream {
    /// `io` with no extensions.
    pub fn new(io: impl ConnectionIo) -> Self {
        Self {
            io: Box::new(io),
            extensions: http::Extensions::new(),
        }
    }
}

impl fmt::Debug for WrappedStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappedStream")
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

/// Turns an accepted stream into the stream HTTP is served over; TLS implements it with its
/// handshake. An error drops the connection (logged at debug).
pub trait StreamWrapper: Send + Sync + 'static {
    /// Wraps the accepted `io` of connection `conn`.
    fn wrap(&self, io: BoxedIo, conn: &ConnectionInfo) -> WrapFuture;
}

impl<F, Fut> StreamWrapper for F
where
    F: Fn(BoxedIo, &ConnectionInfo) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = io::Result<WrappedStream>> + Send + 'static,
{
    fn wrap(&self, io: BoxedIo, conn: &ConnectionInfo) -> WrapFuture {
        Box::pin(self(io, conn))
    }
}

/// An accepted connection, as hooks see it. A request the engine serves reaches it as an
/// extractor (`conn: ConnectionInfo`, or `Option<ConnectionInfo>` for a router that may be served
/// some other way) or with [`ConnectionInfo::of`] on its extensions; axum's
/// `ConnectInfo<SocketAddr>` is in the extensions too. (It is not an extension of its own: that
/// would cost every request an allocation.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The connection's number, unique within one server.
    pub id: u64,
    /// The client's address.
    pub peer_addr: SocketAddr,
    /// The local address the connection was accepted on.
    pub local_addr: SocketAddr,
}

impl ConnectionInfo {
    /// The connection a request the engine serves came on, from the request's extensions.
    pub fn of(extensions: &http::Extensions) -> Option<Self> {
        extensions
            .get::<super::ClientDisconnect>()
            .map(|d| d.connection().clone())
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for ConnectionInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> std::result::Result<Option<Self>, Self::Rejection> {
        Ok(Self::of(&parts.extensions))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ConnectionInfo {
    type Rejection = super::tasks::NotServedByEngine;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        Self::of(&parts.extensions).ok_or(super::tasks::NotServedByEngine)
    }
}

type ConnectionCallback = Arc<dyn Fn(&ConnectionInfo) + Send + Sync + 'static>;

/// Callbacks plugins register with the engine (see [`Application::engine_hooks`](crate::Application::engine_hooks)).
/// See the [module docs](crate::server::hooks).
#[derive(Default, Clone)]
pub struct EngineHooks {
    pub(crate) on_connection: Vec<ConnectionCallback>,
    pub(crate) on_connection_closed: Vec<ConnectionCallback>,
    pub(crate) wrapper: Option<Arc<dyn StreamWrapper>>,
    pub(crate) call_watch: CallWatchPolicy,
}

impl fmt::Debug for EngineHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineHooks")
            .field("on_connection", &self.on_connection.len())
            .field("on_connection_closed", &self.on_connection_closed.len())
            .field("wrap_stream", &self.wrapper.is_some())
            .field("call_watch", &self.call_watch)
            .finish()
    }
}

impl EngineHooks {
    /// Calls `hook` for every accepted connection, before any byte is read from it.
    pub fn on_connection(
        &mut self,
        hook: impl Fn(&ConnectionInfo) + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_connection.push(Arc::new(hook));
        self
    }

    /// Calls `hook` when a connection is over (closed by either side, or by shutdown).
    pub fn on_connection_closed(
        &mut self,
        hook: impl Fn(&ConnectionInfo) + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_connection_closed.push(Arc::new(hook));
        self
    }

    /// Installs the stream wrapper (TLS). There is at most one; a second is
    /// [`Error::StreamWrapperInstalled`].
    pub fn wrap_stream(&mut self, wrapper: impl StreamWrapper) -> Result<&mut Self> {
        if self.wrapper.is_some() {
            return Err(Error::StreamWrapperInstalled);
        }
        self.wrapper = Some(Arc::new(wrapper));
        Ok(self)
    }

    /// Makes the engine watch every call: each request carries its
    /// [`CallState`](super::CallState), and when the client goes away while the call runs, the
    /// call is cancelled if `cancel` (else it runs on and its response is discarded). A per-route
    /// watch inside can change the policy of its calls. Ktor's engine-level close handler.
    pub fn cancel_calls_on_close(&mut self, cancel: bool) -> &mut Self {
        self.call_watch.cancel_on_close = Some(cancel);
        self
    }

    /// The engine's call-watch policy: `Some(cancel)` once
    /// [`cancel_calls_on_close`](Self::cancel_calls_on_close) was called.
    pub fn calls_cancelled_on_close(&self) -> Option<bool> {
        self.call_watch.cancel_on_close
    }

    /// Counts the engine's watched calls into `metrics` (e.g. counters a metrics route also
    /// holds) instead of the engine's own.
    pub fn set_call_metrics(&mut self, metrics: CallMetrics) -> &mut Self {
        self.call_watch.metrics = metrics;
        self
    }

    /// The counters of the engine's watched calls (a clone shares them).
    pub fn call_metrics(&self) -> CallMetrics {
        self.call_watch.metrics.clone()
    }

    pub(crate) fn connection_opened(&self, conn: &ConnectionInfo) {
        for hook in &self.on_connection {
            hook(conn);
        }
    }

    pub(crate) fn connection_closed(&self, conn: &ConnectionInfo) {
        for hook in &self.on_connection_closed {
            hook(conn);
        }
    }
}
