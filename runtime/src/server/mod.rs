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
//!   stops accepting, lets in-flight calls and the [`EngineTasks`] they started finish within
//!   [`ServerConfig::shutdown_grace_period`], then closes every connection and logs what it
//!   abandoned ([`RunningServer::shutdown_with_report`] returns it as a [`ShutdownReport`]).
//!
//! What a peer can make the engine hold is bounded by default ([`ServerConfig`] has the
//! defaults, the config keys and the builder methods here):
//! - **Slow clients**: a connection must send its first request head within
//!   [`header_read_timeout`](Server::header_read_timeout) (30 s) and its next one within
//!   [`idle_timeout`](Server::idle_timeout) (60 s) of its last response. One ticker per server
//!   checks a coarse per-connection deadline: no timer per request.
//! - **Connection floods**: at most [`max_connections`](Server::max_connections) (10,000) are
//!   open; at the cap, accepting waits (listen backlog 1024). Out of file descriptors (`EMFILE`/`ENFILE`), the accept
//!   loop backs off (50 ms doubling to 1 s), logs once per 5 s, and resumes when descriptors
//!   free up; it never stops.
//! - **Request heads**: HTTP/1.1 heads up to
//!   [`max_request_head_size`](Server::max_request_head_size) (64 KiB) and
//!   [`max_header_count`](Server::max_header_count) (100) header lines; beyond, hyper answers
//!   431 and closes.
//! - **HTTP/2**: [`max_concurrent_streams`](Server::max_concurrent_streams) (200) per
//!   connection, and as many calls whose stream the client reset running on to completion (past
//!   that, such a call is dropped and the connection gets a GOAWAY: resetting streams cannot
//!   pile up work), header lists up to `max_request_head_size` (431 beyond), at most 20 streams
//!   reset by the client before the server accepted them (hyper's guard against Rapid Reset,
//!   CVE-2023-44487: past it the connection gets a GOAWAY), and at most 1,024 streams the server
//!   had to reset per connection. Keep-alive pings are off by default (idle connections are
//!   closed by the idle timeout, dead ones by TCP); [`Server::http2_keep_alive_interval`] turns
//!   them on.
//!
//! **Threads**: by default the engine runs on the Tokio runtime that starts it. In the
//! [thread-per-core mode](ServerConfig::thread_per_core) (`ktor.deployment.threadPerCore`) it
//! serves on N worker threads, each a current-thread runtime with its own `SO_REUSEPORT`
//! listener; see [`workers`].
//! On a runtime with one worker, an HTTP/2 stream runs on its connection's task until
//! it waits (no task per stream; the answers of a batch of streams leave in one write); with
//! several workers each stream is a task of its own (see `executor.rs`).
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
//! let running = Server::new(app, ServerConfig::local(0))
//!     .header_read_timeout(Some(std::time::Duration::from_secs(10)))
//!     .max_connections(1_000)
//!     .start()
//!     .await?;
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

use executor::StreamExecutor;
use hyper_util::{rt::TokioTimer, server::conn::auto};
use tokio::{sync::Semaphore, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    app::{AppService, Application},
    error::Error,
    Result,
};

mod accept;
mod call;
pub mod call_watch;
pub(crate) mod config;
mod connection;
mod connector;
mod control;
mod deadline;
mod executor;
pub mod hooks;
mod shutdown;
pub mod tasks;
#[cfg(feature = "tls")]
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
pub mod tls;
mod watch;
#[cfg(unix)]
pub mod workers;

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
pub use shutdown::{shutdown_signal, ShutdownReport};
#[doc(inline)]
pub use tasks::EngineTasks;

/// hyper's guard against HTTP/2 Rapid Reset (CVE-2023-44487): streams a client may reset before
/// the server accepted them; past it, the connection gets a GOAWAY.
const H2_MAX_PENDING_ACCEPT_RESET_STREAMS: usize = 20;
/// Streams the server may have to reset (for the client's protocol errors) per connection.
const H2_MAX_LOCAL_ERROR_RESET_STREAMS: usize = 1024;
/// How long an HTTP/2 keep-alive ping may go unanswered (when pings are on).
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Everything the accept loop, connections and calls of one server share.
pub(crate) struct EngineShared {
    router: AppService,
    hooks: EngineHooks,
    builder: auto::Builder<StreamExecutor>,
    /// Connections, detached calls and tasks handed to the engine; the graceful shutdown waits
    /// for them.
    tasks: EngineTasks,
    /// Cancelled when shutdown starts: stop accepting, drain connections.
    graceful: CancellationToken,
    /// Cancelled when the grace period is over (or on abort): drop everything.
    hard_stop: CancellationToken,
    handshake_timeout: Duration,
    local_addr: SocketAddr,
    next_id: AtomicU64,
    /// Every open connection, to tell it about shutdown and timeouts.
    registry: control::Registry,
    /// The header-read and idle timeouts, when on.
    deadlines: Option<Arc<deadline::Deadlines>>,
    /// One permit per open connection (`max_connections`).
    connections: Arc<Semaphore>,
    /// Calls of one connection that may run on after their client left (HTTP/2 stream resets)
    /// before the connection is closed: `max_concurrent_streams`.
    max_detached_calls: u32,
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
    router: AppService,
    hooks: EngineHooks,
    config: ServerConfig,
    connectors: Vec<Connector>,
    handshake_timeout: Duration,
    h2_keep_alive_interval: Option<Duration>,
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
            handshake_timeout: Duration::from_secs(10),
            h2_keep_alive_interval: None,
        }
    }

    /// How long a new connection may take to send its first request head (default 30 s, or
    /// `ktor.deployment.headerReadTimeout`); `None` waits forever, as `axum::serve` does. See
    /// [`ServerConfig::header_read_timeout`].
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.header_read_timeout = timeout;
        self
    }

    /// How long a connection with no call in flight stays open after its last response
    /// (default 60 s, or `ktor.deployment.idleTimeout`); `None` keeps it forever. See
    /// [`ServerConfig::idle_timeout`].
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.idle_timeout = timeout;
        self
    }

    /// At most `max` connections open at once (default 10,000, or
    /// `ktor.deployment.maxConnections`; at least 1); at the cap, accepting waits.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.config.max_connections = max;
        self
    }

    /// The largest request head in bytes, HTTP/1.1 and HTTP/2 (default 64 KiB, or
    /// `ktor.deployment.maxRequestHeadSize`; at least 8 KiB); larger is answered 431.
    #[must_use]
    pub fn max_request_head_size(mut self, bytes: usize) -> Self {
        self.config.max_request_head_size = bytes;
        self
    }

    /// The most header lines of an HTTP/1.1 request (default 100, or
    /// `ktor.deployment.maxHeaderCount`); more is answered 431.
    #[must_use]
    pub fn max_header_count(mut self, max: usize) -> Self {
        self.config.max_header_count = max;
        self
    }

    /// The most concurrent HTTP/2 streams per connection (default 200, or
    /// `ktor.deployment.maxConcurrentStreams`).
    #[must_use]
    pub fn max_concurrent_streams(mut self, max: u32) -> Self {
        self.config.max_concurrent_streams = max;
        self
    }

    /// Sends an HTTP/2 keep-alive ping after `interval` without frames from the client, and
    /// closes the connection if it goes unanswered for 20 s; off (`None`) by default.
    #[must_use]
    pub fn http2_keep_alive_interval(mut self, interval: Option<Duration>) -> Self {
        self.h2_keep_alive_interval = interval;
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

    /// The settings it will serve with.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// hyper's connection builder with the engine's limits.
    fn hyper_builder(&self) -> auto::Builder<StreamExecutor> {
        let config = &self.config;
        let head_size = config
            .max_request_head_size
            .max(config::defaults::MIN_REQUEST_HEAD_SIZE);
        // HTTP/2 streams are polled once in place, spawned only if not done (see `executor`).
        let mut builder = auto::Builder::new(StreamExecutor);
        builder
            .http1()
            .half_close(true)
            .timer(TokioTimer::new())
            // The engine's ticker enforces `header_read_timeout`; hyper's own (on by default at
            // 30 s once a timer is set) would arm a timer per request, about 5 % of `/hello`.
            .header_read_timeout(None)
            .max_buf_size(head_size)
            // One `send` per response (head and body copied into one buffer) instead of a
            // `writev` of both: -5 % CPU per request on `/hello`, -10 % on `/books.json` (4 KiB),
            // measured side by side; actix-web writes one buffer too.
            .writev(false);
        // The default (100) is hyper's own, parsed on its stack; setting any count, even 100,
        // makes hyper build its header arrays per request, so only another count is set.
        if config.max_header_count != config::defaults::MAX_HEADER_COUNT {
            builder.http1().max_headers(config.max_header_count);
        }
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(config.max_concurrent_streams)
            .max_header_list_size(u32::try_from(head_size).unwrap_or(u32::MAX))
            .max_pending_accept_reset_streams(H2_MAX_PENDING_ACCEPT_RESET_STREAMS)
            .max_local_error_reset_streams(H2_MAX_LOCAL_ERROR_RESET_STREAMS)
            .keep_alive_interval(self.h2_keep_alive_interval)
            .keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT);
        builder
    }

    /// Serves on `workers` threads, each a current-thread runtime with its own `SO_REUSEPORT`
    /// listener per connector (0: one per CPU the process may run on); see
    /// [`ServerConfig::thread_per_core`].
    #[must_use]
    pub fn thread_per_core(mut self, workers: usize) -> Self {
        self.config = self.config.with_thread_per_core(workers);
        self
    }

    /// Binds every connector, then starts accepting in the background (on the current runtime,
    /// or on the workers of the [thread-per-core mode](ServerConfig::thread_per_core)); if one
    /// cannot bind, none listens.
    pub async fn start(self) -> Result<RunningServer> {
        let workers = self.config.thread_per_core.map(std::num::NonZeroUsize::get);
        let mut listeners = Vec::with_capacity(self.connectors.len());
        for connector in &self.connectors {
            let addr = format!("{}:{}", connector.host, connector.port);
            let bound = Listeners::bind(&addr, workers)
                .await
                .map_err(|e| Error::io(format!("cannot bind {addr}"), e))?;
            let local_addr = bound
                .local_addr()
                .map_err(|e| Error::io("cannot read the bound address", e))?;
            listeners.push((bound, local_addr, connector.clone()));
        }
        let Some(&(_, local_addr, _)) = listeners.first() else {
            return Err(crate::ConfigError::new(
                "",
                "the server has no connector: give it one with `Server::connector`",
            )
            .into());
        };
        let builder = self.hyper_builder();
        let hard_stop = CancellationToken::new();
        let deadlines =
            deadline::Deadlines::new(self.config.header_read_timeout, self.config.idle_timeout)
                .map(Arc::new);
        let shared = Arc::new(EngineShared {
            router: self.router,
            hooks: self.hooks,
            builder,
            tasks: EngineTasks::new(hard_stop.clone()),
            graceful: CancellationToken::new(),
            hard_stop,
            handshake_timeout: self.handshake_timeout,
            local_addr,
            next_id: AtomicU64::new(0),
            registry: control::Registry::default(),
            deadlines,
            max_detached_calls: self.config.max_concurrent_streams.max(1),
            connections: Arc::new(Semaphore::new(
                self.config.max_connections.clamp(1, Semaphore::MAX_PERMITS),
            )),
        });
        let mut local_addrs = Vec::with_capacity(listeners.len());
        let mut tasks = Vec::with_capacity(listeners.len());
        #[cfg(unix)]
        let mut groups = Vec::with_capacity(listeners.len());
        for (bound, addr, connector) in listeners {
            let workers = workers.unwrap_or(1);
            if connector.secure {
                tracing::info!(local_addr = %addr, workers, "oxtor listening (HTTPS: HTTP/1.1, h2)");
            } else {
                tracing::info!(local_addr = %addr, workers, "oxtor listening (HTTP/1.1, h2c)");
            }
            local_addrs.push(addr);
            match bound {
                Listeners::Here(listener) => tasks.push(tokio::spawn(accept::accept_loop(
                    listener,
                    shared.clone(),
                    connector.wrapper,
                    accept::Permit::BeforeAccept,
                ))),
                #[cfg(unix)]
                Listeners::PerWorker(sockets) => groups.push((sockets, connector.wrapper)),
            }
        }
        #[cfg(unix)]
        let exited = match workers {
            Some(workers) => {
                let started = workers::start(&shared, groups, workers).await?;
                tasks.extend(started.accept_loops);
                started.exited
            }
            None => Vec::new(),
        };
        if let Some(deadlines) = &shared.deadlines {
            tokio::spawn(deadline::ticker(Arc::downgrade(&shared), deadlines.tick()));
        }
        Ok(RunningServer {
            local_addr,
            local_addrs,
            grace: self.config.shutdown_grace_period,
            shared,
            tasks,
            workers: workers.unwrap_or(0),
            #[cfg(unix)]
            exited,
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

/// A connector's listener in the default mode, or its sockets (one per worker) in the
/// thread-per-core mode.
enum Listeners {
    Here(tokio::net::TcpListener),
    #[cfg(unix)]
    PerWorker(Vec<tokio::net::TcpSocket>),
}

impl Listeners {
    async fn bind(addr: &str, workers: Option<usize>) -> std::io::Result<Self> {
        match workers {
            None => accept::bind(addr).await.map(Self::Here),
            #[cfg(unix)]
            Some(workers) => accept::bind_reuseport(addr, workers)
                .await
                .map(Self::PerWorker),
            #[cfg(not(unix))]
            Some(_) => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "the thread-per-core mode needs SO_REUSEPORT (a Unix)",
            )),
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Self::Here(listener) => listener.local_addr(),
            #[cfg(unix)]
            Self::PerWorker(sockets) => match sockets.first() {
                Some(socket) => socket.local_addr(),
                None => Err(std::io::Error::other("no socket bound")),
            },
        }
    }
}

/// A server accepting connections in the background. Dropping it leaves the server running until
/// the runtime ends (in the thread-per-core mode, until the process ends); stop it with
/// [`shutdown`](Self::shutdown) or [`abort`](Self::abort).
pub struct RunningServer {
    local_addr: SocketAddr,
    local_addrs: Vec<SocketAddr>,
    grace: Duration,
    shared: Arc<EngineShared>,
    tasks: Vec<JoinHandle<()>>,
    /// Worker threads of the thread-per-core mode (0 in the default mode).
    workers: usize,
    /// Per worker thread: resolves once it is over.
    #[cfg(unix)]
    exited: Vec<tokio::sync::oneshot::Receiver<()>>,
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

    /// How many worker threads serve it: 0 in the default mode (it runs on the runtime that
    /// started it), N in the [thread-per-core mode](ServerConfig::thread_per_core).
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many connections are open now.
    pub fn open_connections(&self) -> usize {
        self.shared.registry.len()
    }

    /// Stops the engine at once, dropping every connection and call (what a test does at drop);
    /// worker threads end in the background.
    pub fn abort(self) {
        self.shared.start_hard_stop();
        for task in &self.tasks {
            task.abort();
        }
    }

    /// Stops accepting, lets in-flight calls and [`EngineTasks`] finish within the grace
    /// period, then closes (logging what it had to abandon); in the thread-per-core mode,
    /// returns once every worker thread is over.
    pub async fn shutdown(self) -> Result<()> {
        self.shutdown_with_report().await.map(drop)
    }

    /// As [`shutdown`](Self::shutdown), returning what it had to abandon.
    pub async fn shutdown_with_report(self) -> Result<ShutdownReport> {
        tracing::info!(grace_ms = self.grace.as_millis() as u64, "shutting down");
        self.shared.start_graceful();
        for task in self.tasks {
            task.await.map_err(Error::EngineTask)?;
        }
        let report = shutdown::drain(&self.shared, self.grace).await;
        #[cfg(unix)]
        for exited in self.exited {
            let _ = exited.await;
        }
        Ok(report)
    }
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
