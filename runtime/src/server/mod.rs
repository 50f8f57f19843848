//! The engine: our own accept loops on hyper-util's `auto` builder (HTTP/1.1 and h2c on one port,
//! upgrades kept; h2 over TLS), one per [`Connector`] (plain or TLS), graceful shutdown,
//! per-connection [`EngineHooks`], and the per-request [`ClientDisconnect`] signal.
//!
//! What the engine guarantees a call:
//! - **It runs to completion**, even if its client goes away: hyper drops a handler's future when
//!   the client leaves, and the engine moves that future onto its own task instead.
//!   Cancelling a call on disconnect is a choice a plugin makes through
//!   [`EngineHooks::cancel_calls_on_close`] (the `HttpRequestLifecycle` plugin does); the engine
//!   then watches each call ([`call_watch`]).
//! - **Half-close is kept**: a client that sends its request and then shuts down its writing
//!   side (`nc -N`, some HTTP/1.0 clients) still gets its answer (hyper's `half_close` is on).
//! - **It learns that its client went away**: [`ClientDisconnect`] in the request's extensions
//!   fires on the client's FIN or RST (also while the request body is unread: the engine
//!   watches a duplicate of the socket for `EPOLLRDHUP` once someone listens), or
//!   on the reset of its HTTP/2 stream, and never for another call.
//! - **Graceful shutdown**: [`RunningServer::shutdown`] (and [`Server::run`] on SIGINT/SIGTERM)
//!   stops accepting, lets in-flight calls finish within
//!   [`ServerConfig::shutdown_grace_period`], then closes every connection.
//!
//! Logs are structured `tracing` events: `info` for start and stop, `warn` when the grace period
//! runs out, `debug` (in a `connection{id, peer}` span) for each connection's story.
//!
//! # Example
//! ```
//! use oxtor_runtime::{server::{Server, ServerConfig}, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/", get(|| async { "hi" })))?;
//! let running = Server::new(app, ServerConfig::local(0)).start().await?;
//! assert_ne!(running.local_addr().port(), 0);
//! running.shutdown().await?;
//! # Ok(()) }
//! ```
use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioTimer},
    server::conn::auto,
};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{app::Application, error::Error, Result};

mod call;
pub mod call_watch;
mod config;
mod connection;
mod connector;
mod control;
pub mod hooks;
mod shutdown;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub mod tls;
mod watch;

#[doc(inline)]
pub use call::{AbortCall, ClientDisconnect};
#[doc(inline)]
pub use call_watch::{CallMetrics, CallState, CallWatch, WatchedCall};
#[doc(inline)]
pub use config::ServerConfig;
#[doc(inline)]
pub use connector::Connector;
#[doc(inline)]
pub use hooks::{ConnectionInfo, EngineHooks, SecureConnection, StreamWrapper, WrappedStream};
#[doc(inline)]
pub use shutdown::shutdown_signal;

/// Everything the accept loop, connections and calls of one server share.
pub(crate) struct EngineShared {
    router: Router,
    hooks: EngineHooks,
    builder: auto::Builder<TokioExecutor>,
    /// Connections and detached calls; the graceful shutdown waits for it.
    tracker: TaskTracker,
    /// Cancelled when shutdown starts: stop accepting, drain connections.
    graceful: CancellationToken,
    /// Cancelled when the grace period is over (or on abort): drop everything.
    hard_stop: CancellationToken,
    handshake_timeout: Duration,
    local_addr: SocketAddr,
    next_id: AtomicU64,
    /// Every open connection, to tell it about shutdown.
    registry: control::Registry,
}

impl EngineShared {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Stop accepting; connections finish their calls, then close.
    pub(crate) fn start_graceful(&self) {
        self.graceful.cancel();
        self.registry.graceful();
    }

    /// Drop every connection and call now.
    pub(crate) fn start_hard_stop(&self) {
        self.start_graceful();
        self.hard_stop.cancel();
        self.registry.hard_stop();
    }
}

/// An application ready to be served. See the [module docs](self).
#[derive(Debug)]
pub struct Server {
    router: Router,
    hooks: EngineHooks,
    config: ServerConfig,
    connectors: Vec<Connector>,
    header_read_timeout: Option<Duration>,
    handshake_timeout: Duration,
}

impl Server {
    /// Serves `app` with `config`: one plain connector on `config.host:config.port`.
    pub fn new<S: Clone + Send + Sync + 'static>(
        app: Application<S>,
        config: ServerConfig,
    ) -> Self {
        let (router, hooks) = app.into_parts();
        Self {
            router,
            hooks,
            connectors: vec![Connector::http(config.host.clone(), config.port)],
            config,
            header_read_timeout: None,
            handshake_timeout: Duration::from_secs(10),
        }
    }

    /// How long a client may take to send a request's headers; `None` (the default, as
    /// `axum::serve`) waits forever. `Some(30 s)` protects against clients that trickle bytes to
    /// hold connections, at the price of a timer per request (about 5 % of a plaintext
    /// benchmark's throughput).
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a connection's stream wrapper (TLS handshake) may take (default 10 s).
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Adds a listener (an HTTPS one, say) serving the same application.
    #[must_use]
    pub fn connector(mut self, connector: Connector) -> Self {
        self.connectors.push(connector);
        self
    }

    /// Replaces the listeners (by default one plain connector on `config.host:config.port`).
    #[must_use]
    pub fn connectors(mut self, connectors: impl IntoIterator<Item = Connector>) -> Self {
        self.connectors = connectors.into_iter().collect();
        self
    }

    /// Binds every connector, then starts accepting in the background; if one cannot bind,
    /// none listens.
    pub async fn start(self) -> Result<RunningServer> {
        let mut listeners = Vec::with_capacity(self.connectors.len());
        for connector in self.connectors {
            let addr = format!("{}:{}", connector.host, connector.port);
            let listener = TcpListener::bind(&addr)
                .await
                .map_err(|e| Error::io(format!("cannot bind {addr}"), e))?;
            let local_addr = listener
                .local_addr()
                .map_err(|e| Error::io("cannot read the bound address", e))?;
            listeners.push((listener, local_addr, connector));
        }
        let Some(&(_, local_addr, _)) = listeners.first() else {
            return Err(crate::ConfigError::new(
                "",
                "the server has no connector: give it one with `Server::connector`",
            )
            .into());
        };
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .half_close(true)
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        builder.http2().timer(TokioTimer::new());
        let shared = Arc::new(EngineShared {
            router: self.router,
            hooks: self.hooks,
            builder,
            tracker: TaskTracker::new(),
            graceful: CancellationToken::new(),
            hard_stop: CancellationToken::new(),
            handshake_timeout: self.handshake_timeout,
            local_addr,
            next_id: AtomicU64::new(0),
            registry: control::Registry::default(),
        });
        let mut local_addrs = Vec::with_capacity(listeners.len());
        let mut tasks = Vec::with_capacity(listeners.len());
        for (listener, addr, connector) in listeners {
            if connector.secure {
                tracing::info!(local_addr = %addr, "oxtor listening (HTTPS: HTTP/1.1, h2)");
            } else {
                tracing::info!(local_addr = %addr, "oxtor listening (HTTP/1.1, h2c)");
            }
            local_addrs.push(addr);
            tasks.push(tokio::spawn(accept_loop(
                listener,
                shared.clone(),
                connector.wrapper,
            )));
        }
        Ok(RunningServer {
            local_addr,
            local_addrs,
            grace: self.config.shutdown_grace_period,
            shared,
            tasks,
        })
    }

    /// Binds, serves until SIGINT/SIGTERM, then shuts down gracefully; `Ok` once stopped, so the
    /// process can exit 0.
    pub async fn run(self) -> Result<()> {
        let running = self.start().await?;
        shutdown_signal().await;
        running.shutdown().await
    }
}

/// A server accepting connections in the background. Dropping it leaves the server running until
/// the runtime ends; stop it with [`shutdown`](Self::shutdown) or [`abort`](Self::abort).
pub struct RunningServer {
    local_addr: SocketAddr,
    local_addrs: Vec<SocketAddr>,
    grace: Duration,
    shared: Arc<EngineShared>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("local_addrs", &self.local_addrs)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The address of its first connector.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address of each connector, in the order they were given.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Stops the engine at once, dropping every connection and call (what a test does at drop).
    pub fn abort(self) {
        self.shared.start_hard_stop();
        for task in &self.tasks {
            task.abort();
        }
    }

    /// Stops accepting, lets in-flight calls finish within the grace period, then closes.
    pub async fn shutdown(self) -> Result<()> {
        tracing::info!(grace_ms = self.grace.as_millis() as u64, "shutting down");
        self.shared.start_graceful();
        for task in self.tasks {
            task.await.map_err(Error::EngineTask)?;
        }
        shutdown::drain(&self.shared, self.grace).await;
        Ok(())
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<EngineShared>,
    wrapper: Option<Arc<dyn StreamWrapper>>,
) {
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            _ = shared.graceful.cancelled() => break,
            res = listener.accept() => match res {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        shared.tracker.spawn(connection::serve(
            stream,
            peer,
            shared.clone(),
            wrapper.clone(),
        ));
    }
    tracing::info!("stopped accepting connections");
}

/// Serves an application built by `module` on `port` (all interfaces) until SIGINT/SIGTERM.
/// Ktor's `embeddedServer(Netty, port) { module() }`.
pub async fn embedded_server<F>(port: u16, module: F) -> Result<()>
where
    F: FnOnce(&mut Application<()>) -> Result<()>,
{
    let mut app = Application::new(());
    module(&mut app)?;
    let config = ServerConfig {
        port,
        ..ServerConfig::default()
    };
    Server::new(app, config).run().await
}
