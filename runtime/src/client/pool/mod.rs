//! Connection caps: [`ConnectionLimits`] counts open connections per route and in total.
//!
//! hyper-util's pool reuses connections but never caps them, so the cap lives at the connector:
//! before the connector opens a socket it takes one permit for the route (scheme, host, port) and
//! one from the total, and the permits travel inside the connection's I/O object until hyper drops
//! it (the connection closed). An HTTP/2 connection is one connector call, so it counts once however
//! many streams it carries. A request that finds no free slot waits for one (bounded by
//! `connection_request_timeout` and the request timeout) while the pool keeps looking for an idle
//! connection, so reuse is unchanged. While it waits on the total cap, it closes HTTP/1.1
//! connections of other routes that have been idle for a second or more, least recently used
//! first (as Apache's pool does), so one host's idle connections cannot starve another host
//! until the pool's idle timeout.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::pool::ConnectionLimits;
//! use std::time::Duration;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let limits = ConnectionLimits::new(2, 1, Duration::from_millis(50));
//! let a = limits.acquire("http://a:80").await.expect("a slot for a");
//! assert_eq!(limits.open_connections(), 1);
//! // the route `a` is full: the second connection to it waits and times out
//! assert!(limits.acquire("http://a:80").await.is_err());
//! let _b = limits.acquire("http://b:80").await.expect("b has its own slot");
//! drop(a);
//! assert_eq!(limits.open_connections(), 1);
//! # }
//! ```
pub(crate) mod connector;
pub(crate) mod idle;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use self::idle::IdleRegistry;
use super::error::{ClientError, TimeoutKind};

/// How often a request blocked by the total cap looks for an idle connection to close.
const EVICT_EVERY: Duration = Duration::from_millis(50);

/// Counts open connections per route and in total; see the [module docs](self).
#[derive(Debug)]
pub struct ConnectionLimits {
    total: Arc<Semaphore>,
    max_total: usize,
    max_per_route: usize,
    routes: Mutex<HashMap<String, Arc<Semaphore>>>,
    wait: Duration,
    pub(crate) idle: IdleRegistry,
}

/// The two permits one open connection holds; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    _route: OwnedSemaphorePermit,
    _total: OwnedSemaphorePermit,
}

impl ConnectionLimits {
    /// Caps of `max_total` connections overall and `max_per_route` per route; a connection waits
    /// at most `wait` for a slot. Caps above [`Semaphore::MAX_PERMITS`] are lowered to it.
    pub fn new(max_total: usize, max_per_route: usize, wait: Duration) -> Self {
        let max_total = max_total.min(Semaphore::MAX_PERMITS);
        let max_per_route = max_per_route.min(Semaphore::MAX_PERMITS);
        Self {
            total: Arc::new(Semaphore::new(max_total)),
            max_total,
            max_per_route,
            routes: Mutex::new(HashMap::new()),
            wait,
            idle: IdleRegistry::new(),
        }
    }

    /// Number of connections currently open (holding a permit).
    pub fn open_connections(&self) -> usize {
        self.max_total - self.total.available_permits()
    }

    fn route(&self, route: &str) -> Arc<Semaphore> {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        // Forget routes with no open connection so the map does not grow without bound.
        if routes.len() > 1024 {
            let max = self.max_per_route;
            routes.retain(|_, s| s.available_permits() < max || Arc::strong_count(s) > 1);
        }
        routes
            .entry(route.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.max_per_route)))
            .clone()
    }

    /// Waits for a slot on `route` and in the total.
    pub async fn acquire(&self, route: &str) -> Result<ConnectionPermit, ClientError> {
        let route_sem = self.route(route);
        let acquire = async {
            // Always route first, then total: one order means no lock cycle.
            let route_permit = route_sem.acquire_owned().await;
            let total = match self.total.clone().try_acquire_owned() {
                Ok(p) => Ok(p),
                Err(_) => {
                    let wait = self.total.clone().acquire_owned();
                    tokio::pin!(wait);
                    loop {
                        tokio::select! {
                            p = &mut wait => break p,
                            _ = tokio::time::sleep(EVICT_EVERY) => {
                                self.idle.evict_one_except(route, idle::MIN_IDLE);
                            }
                        }
                    }
                }
            };
            match (route_permit, total) {
                (Ok(r), Ok(t)) => Ok(ConnectionPermit {
                    _route: r,
                    _total: t,
                }),
                _ => Err(ClientError::Runtime("connection limits closed".into())),
            }
        };
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(res) => res,
            Err(_) => Err(ClientError::Timeout(TimeoutKind::ConnectionRequest)),
        }
    }
}
