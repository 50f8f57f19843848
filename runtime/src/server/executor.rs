//! The executor hyper runs the engine's HTTP/2 streams on: [`StreamExecutor`], and the
//! [`Deferred`] streams a connection runs itself.
//!
//! hyper hands every HTTP/2 stream (the call's future, then the sending of its response) to an
//! executor, and tokio's would spawn each one as a task of its own: a task allocated with a
//! cache-line alignment (glibc's slow path), scheduled, polled, and freed, most often only to
//! find the handler done at its first poll. On a runtime with one worker (the thread-per-core
//! mode's current-thread runtimes, or a multi-thread runtime with one worker), where a stream's
//! task would run on the connection's thread anyway, the engine's executor instead hands the
//! streams back to the connection that accepted them: once hyper has taken every stream the
//! client sent (and wants to read more), the connection polls each new stream once, then lets
//! hyper write. The responses of a batch of streams that answered at once leave in one write,
//! and none of them cost a task. A stream that is not done after that first poll continues on a
//! task of its own, as with tokio's executor.
//!
//! - The first poll uses a no-op waker; the task's first poll, which tokio runs right away,
//!   registers the real one (a future registers its waker again at every poll, as the `Future`
//!   contract asks, so a wake-up in between is not lost: the task's poll sees the event itself).
//! - A stream that panics in its first poll (a handler's panic answers 500 before it gets
//!   here, see [`call`](super::call); this is for anything else) is reset, and the connection
//!   and its other streams are left alone (the panic is caught as tokio catches a task's).
//! - On a runtime with several workers every stream is spawned at once, as with tokio's
//!   executor, so that the streams of one connection (a proxy's, say) spread over the workers.
//! - A connection that serves an HTTP/1.1 request has no streams: from its next poll on, it
//!   stops collecting (its polls are hyper's alone, with no thread-local flag set and read).
//!
//! With one worker, the first poll of every stream of a connection runs on that connection's
//! task, one after the other, as in HTTP/1.1, where hyper polls a call on the connection's task
//! too: a handler that computes for long before its first `.await` holds up the connection's
//! other streams for that long (such work belongs on `tokio::task::spawn_blocking`).
//!
//! # Example
//! Nothing changes for an application; a handler that answers at once runs on the connection's
//! task.
//! ```
//! use oxtor_runtime::{server::{Server, ServerConfig}, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/", get(|| async { "hi over h2c too" })))?;
//! let running = Server::new(app, ServerConfig::local(0)).start().await?;
//! running.shutdown().await?;
//! # Ok(()) }
//! ```
use std::{
    cell::{Cell, RefCell},
    future::Future,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    task::{Context, Poll, Waker},
};

/// A stream hyper handed over, waiting for its first poll.
type Stream = Box<dyn Future<Output = ()> + Send + Unpin>;

thread_local! {
    /// A connection is being polled on this thread: streams hyper hands over are kept.
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
    /// Some were (read without touching the list: an HTTP/1.1 connection never has any).
    static COLLECTED: Cell<bool> = const { Cell::new(false) };
    /// The streams hyper handed over during the current poll of a connection.
    static HANDED_OVER: RefCell<Vec<Stream>> = const { RefCell::new(Vec::new()) };
}

/// hyper's executor for the engine's connections. See the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StreamExecutor;

impl<F> hyper::rt::Executor<F> for StreamExecutor
where
    F: Future<Output = ()> + Send + Unpin + 'static,
{
    fn execute(&self, fut: F) {
        if COLLECTING.get() {
            HANDED_OVER.with_borrow_mut(|streams| streams.push(Box::new(fut)));
            COLLECTED.set(true);
        } else {
            tokio::spawn(fut);
        }
    }
}

/// The streams one connection took over from hyper (a buffer kept between polls, swapped with
/// the thread's list).
pub(crate) struct Deferred {
    streams: Vec<Stream>,
    /// The runtime has one worker: streams are taken over (else spawned at once).
    enabled: bool,
}

impl Deferred {
    /// For a connection served on the current runtime: takes streams over if it has one worker.
    pub(crate) fn for_current_runtime() -> Self {
        let enabled = tokio::runtime::Handle::try_current()
            .is_ok_and(|runtime| runtime.metrics().num_workers() == 1);
        Self {
            streams: Vec::new(),
            enabled,
        }
    }

    /// Runs `poll` (hyper's connection), keeping the streams hyper hands over meanwhile.
    #[inline]
    pub(crate) fn collect<R>(&mut self, poll: impl FnOnce() -> R) -> R {
        if !self.enabled {
            return poll();
        }
        /// Stops collecting when `poll` returns; if it panics, also spawns what was collected
        /// (`returned` tells the two apart without asking whether the thread panics).
        struct Stop {
            returned: bool,
        }
        impl Drop for Stop {
            fn drop(&mut self) {
                COLLECTING.set(false);
                if !self.returned && COLLECTED.replace(false) {
                    for stream in HANDED_OVER.with_borrow_mut(std::mem::take) {
                        tokio::spawn(stream);
                    }
                }
            }
        }
        debug_assert!(
            !COLLECTING.get(),
            "connections are not polled within each other"
        );
        COLLECTING.set(true);
        let mut stop = Stop { returned: false };
        let polled = poll();
        stop.returned = true;
        polled
    }

    /// The connection turned out to speak HTTP/1.1, which has no streams: from now on its polls
    /// neither collect nor look for collected streams.
    pub(crate) fn http1(&mut self) {
        self.enabled = false;
    }

    /// Polls each stream collected once, spawning those not done; whether there were any.
    #[inline]
    pub(crate) fn run(&mut self) -> bool {
        if !self.enabled || !COLLECTED.replace(false) {
            return false;
        }
        HANDED_OVER.with_borrow_mut(|streams| std::mem::swap(streams, &mut self.streams));
        let mut cx = Context::from_waker(Waker::noop());
        for mut stream in self.streams.drain(..) {
            match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut stream).poll(&mut cx))) {
                Ok(Poll::Ready(())) => {}
                Ok(Poll::Pending) => {
                    tokio::spawn(stream);
                }
                Err(_) => {
                    // As tokio does with a task that panicked: the future is dropped (its
                    // stream reset), and a panic while dropping it is caught too.
                    tracing::debug!("an HTTP/2 stream panicked; it is reset");
                    let _ = catch_unwind(AssertUnwindSafe(move || drop(stream)));
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    };

    use hyper::rt::Executor;

    use super::*;

    /// A stream that notes it ran, and the note.
    fn stream() -> (
        impl Future<Output = ()> + Send + Unpin + 'static,
        Arc<AtomicBool>,
    ) {
        let ran = Arc::new(AtomicBool::new(false));
        let note = ran.clone();
        (
            Box::pin(async move { note.store(true, Ordering::SeqCst) }),
            ran,
        )
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_stream_handed_over_while_collecting_runs_at_the_next_run() {
        let mut deferred = Deferred::for_current_runtime();
        let (fut, ran) = stream();
        deferred.collect(|| StreamExecutor.execute(fut));
        assert!(!ran.load(Ordering::SeqCst), "collected, not run yet");
        assert!(deferred.run());
        assert!(ran.load(Ordering::SeqCst));
        assert!(!deferred.run(), "nothing left");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_connection_serving_http1_neither_collects_nor_runs_streams() {
        let mut deferred = Deferred::for_current_runtime();
        deferred.http1();
        let (fut, ran) = stream();
        deferred.collect(|| StreamExecutor.execute(fut));
        assert!(!COLLECTING.get());
        assert!(!deferred.run(), "the stream was spawned, not collected");
        tokio::task::yield_now().await;
        assert!(ran.load(Ordering::SeqCst), "the spawned stream ran");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_poll_that_panics_stops_collecting_and_spawns_what_it_collected() {
        let mut deferred = Deferred::for_current_runtime();
        let (fut, ran) = stream();
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            deferred.collect(|| {
                StreamExecutor.execute(fut);
                panic!("hyper's poll panicked");
            })
        }));
        assert!(panicked.is_err());
        assert!(!COLLECTING.get());
        assert!(!deferred.run(), "nothing left collected");
        tokio::task::yield_now().await;
        assert!(
            ran.load(Ordering::SeqCst),
            "the collected stream was spawned"
        );
    }
}
