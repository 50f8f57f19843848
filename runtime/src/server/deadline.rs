//! The header-read and idle timeouts without a timer per request: one coarse clock and one
//! ticker per server.
//!
//! Each connection holds a deadline (an atomic, in the clock's milliseconds) that it sets when
//! it starts waiting for a request — at accept (`header_read_timeout`) and when its last call's
//! response is done (`idle_timeout`) — and clears when a call starts. Every tick (a quarter of
//! the shortest timeout, at most 1 s) the ticker advances the clock and walks the open
//! connections: one past its deadline with no call in flight is told to close. So a request
//! costs two atomic counter updates and two stores, where hyper's own `header_read_timeout`
//! arms and resets a timer per request (about 5 % of a plaintext benchmark).
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Weak,
    },
    time::Duration,
};

use tokio::time::{Instant, MissedTickBehavior};

use super::{control::ConnControl, EngineShared};

/// A coarse clock (milliseconds since the server started, advanced by the ticker) and the
/// timeouts it measures.
#[derive(Debug)]
pub(crate) struct Deadlines {
    start: Instant,
    now_ms: AtomicU64,
    header_read_ms: Option<u64>,
    idle_ms: Option<u64>,
    tick: Duration,
}

impl Deadlines {
    /// `None` when both timeouts are off: then nothing is tracked and no ticker runs.
    pub(crate) fn new(header_read: Option<Duration>, idle: Option<Duration>) -> Option<Self> {
        let shortest = match (header_read, idle) {
            (None, None) => return None,
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
        };
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 2).max(1);
        Some(Self {
            start: Instant::now(),
            // 1, not 0: a deadline of 0 means none.
            now_ms: AtomicU64::new(1),
            header_read_ms: header_read.map(ms),
            idle_ms: idle.map(ms),
            tick: (shortest / 4).clamp(Duration::from_millis(10), Duration::from_secs(1)),
        })
    }

    /// The ticker's period.
    pub(crate) fn tick(&self) -> Duration {
        self.tick
    }

    fn now(&self) -> u64 {
        self.now_ms.load(Ordering::Relaxed)
    }

    /// A deadline `timeout_ms` from now; the clock lags by up to a tick, so one tick is added
    /// to never close early.
    fn after(&self, timeout_ms: Option<u64>) -> u64 {
        match timeout_ms {
            Some(ms) => self.now() + ms + self.tick.as_millis() as u64,
            None => 0,
        }
    }

    /// A connection was accepted: its first request head must arrive in time.
    pub(crate) fn connection_opened(&self, control: &ConnControl) {
        control.set_deadline(self.after(self.header_read_ms));
    }

    /// A call's response is done: if it was the last in flight, the idle timeout starts.
    pub(crate) fn call_ended(&self, control: &ConnControl) {
        if control.call_ended() {
            control.set_deadline(self.after(self.idle_ms));
        }
    }

    fn advance(&self) -> u64 {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX / 2) + 1;
        self.now_ms.store(now, Ordering::Relaxed);
        now
    }
}

/// The engine's ticker: advances the clock and closes expired connections, until the server is
/// gone or stopped.
pub(crate) async fn ticker(shared: Weak<EngineShared>, tick: Duration) {
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if shared.hard_stop.is_cancelled() {
            return;
        }
        if let Some(deadlines) = &shared.deadlines {
            let now = deadlines.advance();
            shared.registry.expire(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{super::control::Registration, *};

    #[test]
    fn no_timeout_tracks_nothing() {
        assert!(Deadlines::new(None, None).is_none());
    }

    #[test]
    fn tick_is_a_quarter_of_the_shortest_timeout_within_bounds() {
        let tick = |a, b| Deadlines::new(a, b).map(|d| d.tick());
        let s = Duration::from_secs;
        assert_eq!(tick(Some(s(30)), Some(s(60))), Some(s(1)));
        assert_eq!(tick(Some(s(1)), None), Some(Duration::from_millis(250)));
        assert_eq!(
            tick(None, Some(Duration::from_millis(1))),
            Some(Duration::from_millis(10))
        );
    }

    #[test]
    fn deadlines_start_at_accept_and_after_the_last_call() {
        let d = Deadlines::new(Some(Duration::from_secs(1)), None).expect("timeouts");
        let c = ConnControl::default();
        d.connection_opened(&c);
        c.call_started();
        c.call_started();
        d.call_ended(&c);
        // idle timeout off: after the last call, no deadline.
        d.call_ended(&c);
        let mut cx = std::task::Context::from_waker(futures_util::task::noop_waker_ref());
        let registry = super::super::control::Registry::default();
        let c = std::sync::Arc::new(c);
        registry.insert(1, c.clone());
        registry.expire(u64::MAX);
        assert!(!c
            .poll_flags(&mut Registration::default(), &mut cx)
            .timed_out());
        d.connection_opened(&c);
        registry.expire(u64::MAX);
        assert!(c
            .poll_flags(&mut Registration::default(), &mut cx)
            .timed_out());
    }
}
