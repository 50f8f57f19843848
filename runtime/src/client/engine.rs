//! The engine: hyper-util's pooled client over the capped hyper-rustls connector, its
//! [`EngineConfig`] (written `engine { .. }` in the client DSL) and the [`Dispatcher`] it runs on.
//!
//! Defaults follow Ktor's Apache5 engine: `max_conn_total = 1000`, `max_conn_per_route = 1000`,
//! connect and socket timeouts 10 s, `connection_request_timeout` 20 s, no request timeout.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{Dispatcher, HttpClient};
//!
//! # fn main() -> Result<(), oxtor_runtime::client::ClientError> {
//! // Created outside any runtime: the engine uses the shared process-wide I/O runtime.
//! let client = HttpClient::configure(|cfg| {
//!     cfg.engine(|e| {
//!         e.max_conn_total(10_000).max_conn_per_route(100).http2_prior_knowledge(true);
//!     });
//! })?;
//! assert_eq!(client.engine_config().max_conn_per_route, 100);
//! assert!(matches!(client.engine_config().dispatcher, Dispatcher::Current));
//! # Ok(()) }
//! ```
use std::{
    fmt,
    future::Future,
    sync::{Arc, OnceLock},
    time::Duration,
};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::TokioTimer,
};
use tokio::runtime::{Handle, Runtime};

use super::{
    error::{BoxError, ClientError},
    pool::{connector::CappedConnector, ConnectionLimits},
};

/// Where the engine's I/O and the statement blocks run.
#[derive(Clone, Default)]
pub enum Dispatcher {
    /// The runtime the client is created on; when created outside any runtime, one shared
    /// process-wide multi-thread I/O runtime (Ktor's `Dispatchers.IO`).
    #[default]
    Current,
    /// A runtime given by its handle.
    Handle(Handle),
    /// A dedicated multi-thread runtime owned by the client, with this many worker threads.
    Dedicated {
        /// Worker threads (at least 1).
        worker_threads: usize,
    },
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Current => f.write_str("Current"),
            Self::Handle(h) => write!(f, "Handle({})", h.id()),
            Self::Dedicated { worker_threads } => write!(f, "Dedicated({worker_threads})"),
        }
    }
}

/// Engine configuration; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Maximum open connections overall (default 1000).
    pub max_conn_total: usize,
    /// Maximum open connections per route, i.e. scheme + host + port (default 1000).
    pub max_conn_per_route: usize,
    /// Lets a streaming request body and the response body flow at the same time (HTTP/2 only).
    pub duplex_streaming_enabled: bool,
    /// Speak HTTP/2 without negotiation (h2c on `http://`).
    pub http2_prior_knowledge: bool,
    /// Where I/O and statement blocks run.
    pub dispatcher: Dispatcher,
    /// Timeout for TCP connect plus TLS handshake (default 10 s).
    pub connect_timeout: Option<Duration>,
    /// Timeout from sending a request to its response head; `body::<T>()` includes the body.
    pub request_timeout: Option<Duration>,
    /// Longest silence while a response is awaited or read (default 10 s): a read-inactivity
    /// timeout like Apache5's socket timeout. It bounds the wait for the response head, counted
    /// from the moment the request body is written (a pool wait or connect has its own timeout;
    /// a long upload or a duplex writer still sending is not silence), and the gap between two
    /// chunks of the response body. Elapsed, the call or the body read fails with
    /// [`ClientError::Timeout`]`(`[`TimeoutKind::Socket`](super::TimeoutKind::Socket)`)`.
    pub socket_timeout: Option<Duration>,
    /// Longest wait for a free connection slot when the caps are reached (default 20 s).
    pub connection_request_timeout: Duration,
    /// How long an idle pooled connection is kept (default 90 s).
    pub pool_idle_timeout: Option<Duration>,
    /// Custom rustls configuration (default: the platform's roots, ring). Its ALPN list is
    /// replaced by `h2, http/1.1`.
    pub tls_config: Option<rustls::ClientConfig>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_conn_total: 1000,
            max_conn_per_route: 1000,
            duplex_streaming_enabled: false,
            http2_prior_knowledge: false,
            dispatcher: Dispatcher::Current,
            connect_timeout: Some(Duration::from_secs(10)),
            request_timeout: None,
            socket_timeout: Some(Duration::from_secs(10)),
            connection_request_timeout: Duration::from_secs(20),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            tls_config: None,
        }
    }
}

impl EngineConfig {
    /// Sets [`max_conn_total`](Self::max_conn_total).
    pub fn max_conn_total(&mut self, n: usize) -> &mut Self {
        self.max_conn_total = n;
        self
    }
    /// Sets [`max_conn_per_route`](Self::max_conn_per_route).
    pub fn max_conn_per_route(&mut self, n: usize) -> &mut Self {
        self.max_conn_per_route = n;
        self
    }
    /// Sets [`duplex_streaming_enabled`](Self::duplex_streaming_enabled).
    pub fn duplex_streaming_enabled(&mut self, on: bool) -> &mut Self {
        self.duplex_streaming_enabled = on;
        self
    }
    /// Sets [`http2_prior_knowledge`](Self::http2_prior_knowledge).
    pub fn http2_prior_knowledge(&mut self, on: bool) -> &mut Self {
        self.http2_prior_knowledge = on;
        self
    }
    /// Sets [`dispatcher`](Self::dispatcher).
    pub fn dispatcher(&mut self, dispatcher: Dispatcher) -> &mut Self {
        self.dispatcher = dispatcher;
        self
    }
    /// Sets [`connect_timeout`](Self::connect_timeout); `None` waits forever.
    pub fn connect_timeout(&mut self, t: impl Into<Option<Duration>>) -> &mut Self {
        self.connect_timeout = t.into();
        self
    }
    /// Sets [`request_timeout`](Self::request_timeout); `None` waits forever.
    pub fn request_timeout(&mut self, t: impl Into<Option<Duration>>) -> &mut Self {
        self.request_timeout = t.into();
        self
    }
    /// Sets [`socket_timeout`](Self::socket_timeout); `None` waits forever.
    pub fn socket_timeout(&mut self, t: impl Into<Option<Duration>>) -> &mut Self {
        self.socket_timeout = t.into();
        self
    }
    /// Sets [`connection_request_timeout`](Self::connection_request_timeout).
    pub fn connection_request_timeout(&mut self, t: Duration) -> &mut Self {
        self.connection_request_timeout = t;
        self
    }
    /// Sets [`pool_idle_timeout`](Self::pool_idle_timeout).
    pub fn pool_idle_timeout(&mut self, t: impl Into<Option<Duration>>) -> &mut Self {
        self.pool_idle_timeout = t.into();
        self
    }
    /// Sets [`tls_config`](Self::tls_config).
    pub fn tls_config(&mut self, config: rustls::ClientConfig) -> &mut Self {
        self.tls_config = Some(config);
        self
    }

    fn validate(&self) -> Result<(), ClientError> {
        // A cap is a semaphore, which cannot hold more than `MAX_PERMITS` (2^61 - 1) permits.
        let caps = [
            ("engine.max_conn_total", self.max_conn_total),
            ("engine.max_conn_per_route", self.max_conn_per_route),
        ];
        for (key, n) in caps {
            if n == 0 {
                return Err(crate::ConfigError::new(key, "must be at least 1").into());
            }
            if n > MAX_CONNECTIONS {
                let message = format!("{n} is more than the maximum, {MAX_CONNECTIONS}");
                return Err(crate::ConfigError::new(key, message).into());
            }
        }
        if let Dispatcher::Dedicated { worker_threads: 0 } = self.dispatcher {
            return Err(crate::ConfigError::new(
                "engine.dispatcher",
                "a dedicated runtime needs at least 1 worker thread",
            )
            .into());
        }
        Ok(())
    }
}

/// The largest connection cap (`max_conn_total`, `max_conn_per_route`): tokio's semaphore limit.
pub(crate) const MAX_CONNECTIONS: usize = tokio::sync::Semaphore::MAX_PERMITS;

/// Timeouts longer than this (about 30 years) are waited as this long: a deadline
/// `now + Duration::MAX` does not exist, and computing it would panic.
pub(crate) const FOREVER: Duration = Duration::from_secs(30 * 365 * 86_400);

/// The request body type the engine sends.
pub(crate) type EngineBody = UnsyncBoxBody<Bytes, BoxError>;
type HttpsConnector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Spawns hyper's connection tasks on the engine's runtime, never on the caller's.
#[derive(Clone)]
struct HandleExecutor(Handle);

impl<F> hyper::rt::Executor<F> for HandleExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        self.0.spawn(fut);
    }
}

/// A runtime the client owns; shut down in the background so dropping the last client inside
/// async code does not panic.
struct OwnedRuntime(Option<Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn shared_io_runtime() -> Result<Handle, ClientError> {
    static SHARED: OnceLock<Runtime> = OnceLock::new();
    if let Some(rt) = SHARED.get() {
        return Ok(rt.handle().clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("oxtor-client-io")
        .enable_all()
        .build()
        .map_err(|e| ClientError::Runtime(format!("cannot start the shared I/O runtime: {e}")))?;
    Ok(SHARED.get_or_init(|| rt).handle().clone())
}

/// The shared part of every client derived from one configuration.
pub(crate) struct Engine {
    pub(crate) client: Client<CappedConnector<HttpsConnector>, EngineBody>,
    pub(crate) handle: Handle,
    pub(crate) config: EngineConfig,
    pub(crate) limits: Arc<ConnectionLimits>,
    _owned: OwnedRuntime,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("runtime", &self.handle.id())
            .field("config", &self.config)
            .finish()
    }
}

impl Engine {
    pub(crate) fn new(config: EngineConfig) -> Result<Self, ClientError> {
        config.validate()?;
        let (handle, owned) = match &config.dispatcher {
            Dispatcher::Current => match Handle::try_current() {
                Ok(h) => (h, None),
                Err(_) => (shared_io_runtime()?, None),
            },
            Dispatcher::Handle(h) => (h.clone(), None),
            Dispatcher::Dedicated { worker_threads } => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(*worker_threads)
                    .thread_name("oxtor-client-engine")
                    .enable_all()
                    .build()
                    .map_err(|e| ClientError::Runtime(format!("cannot start the runtime: {e}")))?;
                (rt.handle().clone(), Some(rt))
            }
        };

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let tls = match &config.tls_config {
            Some(tls) => {
                // The connector sets ALPN itself (h2, http/1.1) and rejects a preset list.
                let mut tls = tls.clone();
                tls.alpn_protocols.clear();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
            }
            None => {
                let provider = rustls::crypto::ring::default_provider();
                match hyper_rustls::HttpsConnectorBuilder::new()
                    .with_provider_and_native_roots(provider.clone())
                {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!("no platform TLS roots ({e}); https will not verify");
                        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
                            .with_safe_default_protocol_versions()
                            .map_err(|e| ClientError::Runtime(e.to_string()))?
                            .with_root_certificates(rustls::RootCertStore::empty())
                            .with_no_client_auth();
                        hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
                    }
                }
            }
        };
        let https = tls
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);
        let limits = Arc::new(ConnectionLimits::new(
            config.max_conn_total,
            config.max_conn_per_route,
            config.connection_request_timeout,
        ));
        let connector = CappedConnector::new(
            https,
            limits.clone(),
            config.connect_timeout,
            config.http2_prior_knowledge,
        );
        let mut builder = Client::builder(HandleExecutor(handle.clone()));
        builder
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(config.pool_idle_timeout.map(|t| t.min(FOREVER)))
            .http2_only(config.http2_prior_knowledge);
        let client = builder.build(connector);
        Ok(Self {
            client,
            handle,
            config,
            limits,
            _owned: OwnedRuntime(owned),
        })
    }
}
