//! [`ConnControl`]: how the server and a connection's calls reach the connection's task without
//! adding work to every poll of it — a few flags read with one atomic load, and one waker slot
//! the task fills once (not at each poll), no locks on the task's side — and the
//! connection's coarse deadline, which the engine's ticker checks ([`deadline`](super::deadline)).
use std::{
    sync::{
        atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering},
        Arc, Mutex,
    },
    task::{Context, Poll, Waker},
};

const GRACEFUL: u8 = 1;
const HARD_STOP: u8 = 2;
const WATCH: u8 = 4;
const TIMED_OUT: u8 = 8;
/// Not a request to the task: the connection served an HTTP/1.1 call (so it has no HTTP/2
/// streams to collect, see `executor`).
const HTTP1: u8 = 16;

/// Flags a connection's task reads each time it is polled, and its deadline.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    flags: AtomicU8,
    /// The connection task's waker, kept (not taken) by a wake: the task stores it once, at
    /// its first poll, instead of registering it at every poll; a raise locks it (rare).
    waker: Mutex<Option<Waker>>,
    /// When the connection expires, in the engine clock's milliseconds; 0: never.
    deadline: AtomicU64,
    /// Calls started on the connection whose response is not yet sent (or dropped).
    in_flight: AtomicU32,
}

/// What a connection's task should do, as read by [`ConnControl::poll_flags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flags(u8);

impl Flags {
    pub(crate) fn graceful(self) -> bool {
        self.0 & GRACEFUL != 0
    }
    pub(crate) fn hard_stop(self) -> bool {
        self.0 & HARD_STOP != 0
    }
    pub(crate) fn watch(self) -> bool {
        self.0 & WATCH != 0
    }
    /// The connection outlived its deadline with no call in flight.
    pub(crate) fn timed_out(self) -> bool {
        self.0 & TIMED_OUT != 0
    }
    /// The connection speaks HTTP/1.1 (see [`ConnControl::serves_http1`]).
    pub(crate) fn http1(self) -> bool {
        self.0 & HTTP1 != 0
    }
}

/// The waker a connection's task last stored with [`ConnControl::poll_flags`], kept by the task.
#[derive(Debug, Default)]
pub(crate) struct Registration(Option<Waker>);

impl ConnControl {
    /// Stores the task's waker if it is not the one `registration` says is stored (the first
    /// poll, in practice), then reads the flags (in that order: no lost wake-up). Any later
    /// poll costs one atomic load.
    pub(crate) fn poll_flags(
        &self,
        registration: &mut Registration,
        cx: &mut Context<'_>,
    ) -> Flags {
        if !registration
            .0
            .as_ref()
            .is_some_and(|stored| stored.will_wake(cx.waker()))
        {
            let waker = cx.waker().clone();
            *self.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(waker.clone());
            registration.0 = Some(waker);
        }
        Flags(self.flags.load(Ordering::Acquire))
    }

    fn raise(&self, flag: u8) {
        if self.flags.fetch_or(flag, Ordering::AcqRel) & flag == 0 {
            let waker = self.waker.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Asks the connection to watch its socket for the client's close (someone listens to a
    /// [`ClientDisconnect`](super::ClientDisconnect)).
    pub(crate) fn watch(&self) {
        if self.flags.load(Ordering::Relaxed) & WATCH == 0 {
            self.raise(WATCH);
        }
    }

    /// Notes that the connection served an HTTP/1.1 call, read by its task at its next poll.
    /// Nothing to wake the task for: it is running (the call is being made from its poll).
    pub(crate) fn serves_http1(&self) {
        self.flags.fetch_or(HTTP1, Ordering::Relaxed);
    }

    /// Asks this connection alone to close gracefully (an HTTP/2 client gets a GOAWAY).
    pub(crate) fn close_gracefully(&self) {
        self.raise(GRACEFUL);
    }

    /// Sets the connection's deadline (engine clock milliseconds; 0 clears it).
    pub(crate) fn set_deadline(&self, at: u64) {
        self.deadline.store(at, Ordering::Relaxed);
    }

    /// A call starts: the connection is busy, no deadline runs.
    pub(crate) fn call_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.deadline.store(0, Ordering::Relaxed);
    }

    /// A call's response is sent (or dropped). Returns whether it was the last in flight, so
    /// the caller sets the idle deadline.
    pub(crate) fn call_ended(&self) -> bool {
        self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// The ticker's check at engine time `now`: a connection past its deadline with no call in
    /// flight is told to close (gracefully: an HTTP/2 client gets a GOAWAY); one still open a
    /// tick later is closed outright.
    fn expire(&self, now: u64) {
        let deadline = self.deadline.load(Ordering::Relaxed);
        if deadline == 0 || now < deadline || self.in_flight.load(Ordering::Acquire) != 0 {
            return;
        }
        if self.flags.load(Ordering::Relaxed) & TIMED_OUT == 0 {
            self.raise(TIMED_OUT);
        } else {
            self.raise(HARD_STOP);
        }
    }

    /// Resolves once [`watch`](Self::watch) was asked for. Registers no waker: only for the
    /// connection's own task, whose waker [`poll_flags`](Self::poll_flags) stored.
    pub(crate) fn poll_watch(&self) -> Poll<()> {
        if Flags(self.flags.load(Ordering::Acquire)).watch() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The connections of one server, to tell them about shutdown.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    conns: Mutex<std::collections::HashMap<u64, Arc<ConnControl>>>,
}

impl Registry {
    pub(crate) fn insert(&self, id: u64, control: Arc<ConnControl>) {
        if let Ok(mut conns) = self.conns.lock() {
            conns.insert(id, control);
        }
    }

    pub(crate) fn remove(&self, id: u64) {
        if let Ok(mut conns) = self.conns.lock() {
            conns.remove(&id);
        }
    }

    pub(crate) fn graceful(&self) {
        self.raise_all(GRACEFUL);
    }

    pub(crate) fn hard_stop(&self) {
        self.raise_all(HARD_STOP);
    }

    /// Tells every connection past its deadline at engine time `now` to close.
    pub(crate) fn expire(&self, now: u64) {
        if let Ok(conns) = self.conns.lock() {
            for c in conns.values() {
                c.expire(now);
            }
        }
    }

    /// How many connections are open.
    pub(crate) fn len(&self) -> usize {
        self.conns.lock().map(|c| c.len()).unwrap_or(0)
    }

    fn raise_all(&self, flag: u8) {
        if let Ok(conns) = self.conns.lock() {
            for c in conns.values() {
                c.raise(flag);
            }
        }
    }

    /// Raises on one connection what the server already decided (for a connection that
    /// registered after the sweep).
    pub(crate) fn catch_up(control: &ConnControl, graceful: bool, hard_stop: bool) {
        if graceful {
            control.raise(GRACEFUL);
        }
        if hard_stop {
            control.raise(HARD_STOP);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, task::Context};

    use std::sync::atomic::AtomicUsize;

    use futures_util::task::{noop_waker_ref, waker, ArcWake};

    use super::*;

    /// A waker counting its wake-ups.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl ArcWake for Wakes {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A connection's task: its waker (counting its wake-ups) and its registration.
    struct Task {
        wakes: Arc<Wakes>,
        waker: std::task::Waker,
        registration: Registration,
    }

    impl Task {
        fn new() -> Self {
            let wakes = Arc::new(Wakes::default());
            Self {
                waker: waker(wakes.clone()),
                wakes,
                registration: Registration::default(),
            }
        }

        /// The task's poll of `c`'s flags.
        fn poll(&mut self, c: &ConnControl) -> Flags {
            c.poll_flags(
                &mut self.registration,
                &mut Context::from_waker(&self.waker),
            )
        }

        fn wakes(&self) -> usize {
            self.wakes.0.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn every_raised_flag_wakes_the_task_that_stored_its_waker_once() {
        let c = ConnControl::default();
        let mut task = Task::new();
        assert!(!task.poll(&c).graceful());
        c.close_gracefully();
        assert_eq!(task.wakes(), 1);
        assert!(task.poll(&c).graceful());
        c.watch();
        assert_eq!(task.wakes(), 2);
        c.close_gracefully();
        assert_eq!(task.wakes(), 2, "a flag already up wakes nobody");
    }

    #[test]
    fn serving_http1_is_noted_for_the_next_poll_without_a_wake_up() {
        let c = ConnControl::default();
        let mut task = Task::new();
        assert!(!task.poll(&c).http1());
        c.serves_http1();
        let flags = task.poll(&c);
        assert!(flags.http1());
        assert!(!flags.graceful() && !flags.hard_stop() && !flags.watch() && !flags.timed_out());
        assert_eq!(task.wakes(), 0);
    }

    #[test]
    fn registry_tells_registered_connections_and_forgets_removed_ones() {
        let registry = Registry::default();
        let (a, b) = (
            Arc::new(ConnControl::default()),
            Arc::new(ConnControl::default()),
        );
        registry.insert(1, a.clone());
        registry.insert(2, b.clone());
        registry.remove(2);
        registry.graceful();
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(a
            .poll_flags(&mut Registration::default(), &mut cx)
            .graceful());
        assert!(!b
            .poll_flags(&mut Registration::default(), &mut cx)
            .graceful());
        registry.hard_stop();
        assert!(a
            .poll_flags(&mut Registration::default(), &mut cx)
            .hard_stop());
    }

    #[test]
    fn late_connection_catches_up_with_shutdown() {
        let c = ConnControl::default();
        Registry::catch_up(&c, true, false);
        let mut cx = Context::from_waker(noop_waker_ref());
        let flags = c.poll_flags(&mut Registration::default(), &mut cx);
        assert!(flags.graceful() && !flags.hard_stop());
    }

    #[test]
    fn expired_idle_connection_is_timed_out_then_stopped() {
        let c = ConnControl::default();
        let mut cx = Context::from_waker(noop_waker_ref());
        c.set_deadline(100);
        c.expire(99);
        assert!(!c
            .poll_flags(&mut Registration::default(), &mut cx)
            .timed_out());
        c.expire(100);
        assert!(c
            .poll_flags(&mut Registration::default(), &mut cx)
            .timed_out());
        assert!(!c
            .poll_flags(&mut Registration::default(), &mut cx)
            .hard_stop());
        c.expire(200);
        assert!(c
            .poll_flags(&mut Registration::default(), &mut cx)
            .hard_stop());
    }

    #[test]
    fn connection_with_a_call_in_flight_never_expires() {
        let c = ConnControl::default();
        c.set_deadline(100);
        c.call_started();
        c.set_deadline(100);
        c.expire(1_000);
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(!c
            .poll_flags(&mut Registration::default(), &mut cx)
            .timed_out());
        assert!(c.call_ended());
        c.expire(1_000);
        assert!(c
            .poll_flags(&mut Registration::default(), &mut cx)
            .timed_out());
    }

    #[test]
    fn watch_is_pending_until_asked_for() {
        let c = ConnControl::default();
        assert!(c.poll_watch().is_pending());
        c.watch();
        assert!(c.poll_watch().is_ready());
    }
}
