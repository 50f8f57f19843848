//! [`ServerConfig`]: where the engine listens, how long it drains on shutdown, and the bounds on
//! what a peer can make it hold (timeouts, connections, request heads, HTTP/2 streams).
use std::{num::NonZeroUsize, time::Duration};

/// Where and how the engine listens, and the bounds it keeps on every peer. Each field is one of
/// Ktor's deployment keys (or an oxtor key next to them, see [`keys`](crate::config::keys)); the
/// same settings are builder methods on [`Server`](super::Server). See the
/// [module docs](crate::server).
///
/// Every bound is on by default, with defaults in line with nginx and Ktor's engines:
///
/// | field | default | key |
/// |---|---|---|
/// | `header_read_timeout` | 30 s | `ktor.deployment.headerReadTimeout` |
/// | `idle_timeout` | 60 s | `ktor.deployment.idleTimeout` |
/// | `max_connections` | 10,000 | `ktor.deployment.maxConnections` |
/// | `max_request_head_size` | 64 KiB | `ktor.deployment.maxRequestHeadSize` |
/// | `max_header_count` | 100 | `ktor.deployment.maxHeaderCount` |
/// | `max_concurrent_streams` | 200 | `ktor.deployment.maxConcurrentStreams` |
/// | `thread_per_core` | off | `ktor.deployment.threadPerCore`, `workerGroupSize` |
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Host or IP to bind (`ktor.deployment.host`).
    pub host: String,
    /// Port to bind; 0 picks a free one (`ktor.deployment.port`).
    pub port: u16,
    /// How long in-flight calls may run after shutdown starts
    /// (`ktor.deployment.shutdownGracePeriod`). Past it, every connection is closed.
    pub shutdown_grace_period: Duration,
    /// How long a new connection may take to send its first request head (HTTP/1.1) or its
    /// first request (HTTP/2) before it is closed: the guard against slowloris clients that
    /// trickle bytes to hold connections (`ktor.deployment.headerReadTimeout`; default 30 s;
    /// `None` waits forever). Checked by one engine ticker, so it costs no timer per request;
    /// a connection is closed between the timeout and the timeout plus two ticks (a tick is a
    /// quarter of the shortest timeout, at most 1 s).
    pub header_read_timeout: Option<Duration>,
    /// How long a connection with no call in flight may stay open, counted from the end of its
    /// last response; the next request's head must have arrived by then
    /// (`ktor.deployment.idleTimeout`; default 60 s, nginx's `keepalive_timeout` is 75 s;
    /// `None` keeps idle connections forever).
    pub idle_timeout: Option<Duration>,
    /// At most this many connections are open at once, over all connectors
    /// (`ktor.deployment.maxConnections`; default 10,000). When reached, the engine stops
    /// accepting (new clients wait in the listen backlog) until one closes.
    pub max_connections: usize,
    /// The largest HTTP/1.1 request head (request line and headers) in bytes, and the largest
    /// HTTP/2 header list; a bigger one is answered 431 (`ktor.deployment.maxRequestHeadSize`;
    /// default 64 KiB, at least 8 KiB). Netty's default is 8 KiB of headers, nginx's 32 KiB.
    pub max_request_head_size: usize,
    /// The most header lines an HTTP/1.1 request may have; more is answered 431
    /// (`ktor.deployment.maxHeaderCount`; default 100).
    pub max_header_count: usize,
    /// The most HTTP/2 streams a client may have open at once on one connection
    /// (`ktor.deployment.maxConcurrentStreams`; default 200).
    pub max_concurrent_streams: u32,
    /// The thread-per-core mode: `Some(n)` serves on n worker threads, each a current-thread
    /// Tokio runtime with its own `SO_REUSEPORT` listener per connector (the kernel spreads
    /// connections over them; a connection and its calls stay on one thread). `None` (the
    /// default) serves on the runtime that starts the server. Unix only
    /// (`ktor.deployment.threadPerCore = true`, with `ktor.deployment.workerGroupSize` workers,
    /// Ktor's key; one per CPU by default). See [`workers`](super::workers).
    pub thread_per_core: Option<NonZeroUsize>,
}

/// Defaults of [`ServerConfig`]'s bounds, shared with the config loader.
pub(crate) mod defaults {
    use std::time::Duration;

    pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
    pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
    pub(crate) const MAX_CONNECTIONS: usize = 10_000;
    pub(crate) const MAX_REQUEST_HEAD_SIZE: usize = 64 * 1024;
    /// hyper's floor for its read buffer.
    pub(crate) const MIN_REQUEST_HEAD_SIZE: usize = 8 * 1024;
    /// hyper's own default, which the engine then leaves unset.
    pub(crate) const MAX_HEADER_COUNT: usize = 100;
    pub(crate) const MAX_CONCURRENT_STREAMS: u32 = 200;
}

impl ServerConfig {
    /// 127.0.0.1 on `port`, the other settings at their defaults.
    pub fn local(port: u16) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port,
            ..Self::default()
        }
    }

    /// The same config in the [thread-per-core mode](Self::thread_per_core) with `workers`
    /// worker threads; 0 means one per CPU the process may run on.
    #[must_use]
    pub fn with_thread_per_core(mut self, workers: usize) -> Self {
        self.thread_per_core = Some(NonZeroUsize::new(workers).unwrap_or_else(cpus));
        self
    }

    /// The same config with another grace period.
    #[must_use]
    pub fn with_shutdown_grace_period(mut self, grace: Duration) -> Self {
        self.shutdown_grace_period = grace;
        self
    }
}

impl Default for ServerConfig {
    /// 0.0.0.0:8080, 10 s grace period, the bounds in the table above.
    fn default() -> Self {
        Self {
            host: "0.0.0.0".to_owned(),
            port: 8080,
            shutdown_grace_period: Duration::from_secs(10),
            header_read_timeout: Some(defaults::HEADER_READ_TIMEOUT),
            idle_timeout: Some(defaults::IDLE_TIMEOUT),
            max_connections: defaults::MAX_CONNECTIONS,
            max_request_head_size: defaults::MAX_REQUEST_HEAD_SIZE,
            max_header_count: defaults::MAX_HEADER_COUNT,
            max_concurrent_streams: defaults::MAX_CONCURRENT_STREAMS,
            thread_per_core: None,
        }
    }
}

/// How many CPUs the process may run on (its affinity mask), at least 1.
pub(crate) fn cpus() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}
