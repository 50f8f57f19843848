//! Per-connection use state, so a request blocked by `max_conn_total` can close an idle HTTP/1.1
//! connection of *another* route (Apache's pool does the same) instead of waiting for the pool's
//! idle timeout. Only connections idle for at least [`MIN_IDLE`] are closed, so a busy pool whose
//! connections idle for a moment between requests does not churn.
//!
//! A connection is busy from the first byte of a request until its response body ends or is
//! dropped; HTTP/2 connections are never evicted. Eviction is a compare-and-swap from idle to
//! evicted, so a connection that starts writing a request at the same moment is never cut; an
//! evicted connection reads end-of-file and hyper closes it, freeing its slot.
use std::{
    sync::{
        atomic::{AtomicU64, AtomicU8, Ordering},
        Arc, Mutex, Weak,
    },
    time::Duration,
};

use futures_util::task::AtomicWaker;
use tokio::time::Instant;

/// How long a connection must have been idle before another route may close it.
pub(crate) const MIN_IDLE: Duration = Duration::from_secs(1);

const IDLE: u8 = 0;
const BUSY: u8 = 1;
const EVICTED: u8 = 2;

/// The use state of one open connection.
#[derive(Debug)]
pub(crate) struct ConnState {
    route: Arc<str>,
    state: AtomicU8,
    multiplexed: bool,
    idle_since: AtomicU64,
    epoch: Instant,
    pub(crate) reader: AtomicWaker,
}

impl ConnState {
    /// Marks the start of a write; false once the connection was evicted.
    pub(crate) fn begin_use(&self) -> bool {
        match self
            .state
            .compare_exchange(IDLE, BUSY, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => true,
            Err(current) => current == BUSY,
        }
    }

    /// Marks the end of a response: the connection may now idle in the pool.
    pub(crate) fn end_use(&self) {
        if self.multiplexed {
            return;
        }
        let since = self.epoch.elapsed().as_nanos() as u64;
        self.idle_since.store(since, Ordering::Release);
        let _ = self
            .state
            .compare_exchange(BUSY, IDLE, Ordering::AcqRel, Ordering::Acquire);
    }

    pub(crate) fn is_evicted(&self) -> bool {
        self.state.load(Ordering::Acquire) == EVICTED
    }

    fn try_evict(&self) -> bool {
        let evicted = self
            .state
            .compare_exchange(IDLE, EVICTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if evicted {
            self.reader.wake();
        }
        evicted
    }
}

/// A handle to a connection's state, travelling in response extensions to the response body.
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle(pub(crate) Arc<ConnState>);

/// Every open connection's state, for eviction.
#[derive(Debug)]
pub(crate) struct IdleRegistry {
    conns: Mutex<Vec<Weak<ConnState>>>,
    epoch: Instant,
}

impl IdleRegistry {
    pub(crate) fn new() -> Self {
        Self {
            conns: Mutex::new(Vec::new()),
            epoch: Instant::now(),
        }
    }

    /// Registers a new (busy) connection on `route`.
    pub(crate) fn register(&self, route: &str, multiplexed: bool) -> Arc<ConnState> {
        let state = Arc::new(ConnState {
            route: route.into(),
            state: AtomicU8::new(BUSY),
            multiplexed,
            idle_since: AtomicU64::new(0),
            epoch: self.epoch,
            reader: AtomicWaker::new(),
        });
        let mut conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        conns.retain(|w| w.strong_count() > 0);
        conns.push(Arc::downgrade(&state));
        state
    }

    /// Evicts the least recently used connection of a route other than `route` that has been
    /// idle for at least `min_idle`.
    pub(crate) fn evict_one_except(&self, route: &str, min_idle: Duration) -> bool {
        let now = self.epoch.elapsed().as_nanos() as u64;
        let min_idle = min_idle.as_nanos() as u64;
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        let mut candidates: Vec<Arc<ConnState>> = conns
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|c| {
                &*c.route != route
                    && !c.multiplexed
                    && c.state.load(Ordering::Acquire) == IDLE
                    && now.saturating_sub(c.idle_since.load(Ordering::Acquire)) >= min_idle
            })
            .collect();
        drop(conns);
        candidates.sort_by_key(|c| c.idle_since.load(Ordering::Acquire));
        candidates.iter().any(|c| c.try_evict())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idle_connections_of_other_routes_are_evicted() {
        let registry = IdleRegistry::new();
        let busy = registry.register("http://a:80", false);
        let same_route = registry.register("http://b:80", false);
        same_route.end_use();
        assert!(!registry.evict_one_except("http://b:80", Duration::ZERO));
        busy.end_use();
        assert!(registry.evict_one_except("http://b:80", Duration::ZERO));
        assert!(busy.is_evicted());
        assert!(
            !busy.begin_use(),
            "an evicted connection takes no new request"
        );
    }

    #[test]
    fn recently_idle_connections_are_kept() {
        let registry = IdleRegistry::new();
        let conn = registry.register("http://a:80", false);
        conn.end_use();
        assert!(!registry.evict_one_except("http://b:80", MIN_IDLE));
        assert!(conn.begin_use());
    }

    #[test]
    fn http2_connections_are_never_evicted() {
        let registry = IdleRegistry::new();
        let h2 = registry.register("http://a:80", true);
        h2.end_use();
        assert!(!registry.evict_one_except("http://b:80", Duration::ZERO));
        assert!(h2.begin_use());
    }
}
