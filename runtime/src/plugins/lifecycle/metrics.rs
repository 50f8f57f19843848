//! [`LifecycleMetrics`]: counts of calls whose client went away.
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

/// Counters of calls whose client went away, readable at any time (a cheap clone shares them):
/// from [`HttpRequestLifecycle::metrics`](super::HttpRequestLifecycle::metrics), or handed to
/// the plugin with [`metrics`](super::HttpRequestLifecycleConfig::metrics). See the
/// [module docs](super).
#[derive(Clone, Debug, Default)]
pub struct LifecycleMetrics {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    cancelled: AtomicU64,
    finished_without_client: AtomicU64,
}

impl LifecycleMetrics {
    /// New counters at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Calls cancelled because their client went away (`cancel_call_on_close = true`).
    pub fn cancelled_calls(&self) -> u64 {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// Calls whose client went away but that ran to completion (`cancel_call_on_close = false`);
    /// their responses were discarded.
    pub fn calls_finished_without_client(&self) -> u64 {
        self.inner.finished_without_client.load(Ordering::Relaxed)
    }

    pub(crate) fn record_cancelled(&self) {
        self.inner.cancelled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_finished_without_client(&self) {
        self.inner
            .finished_without_client
            .fetch_add(1, Ordering::Relaxed);
    }
}
