//! [`EngineTasks`]: background work a call starts that the graceful shutdown waits for.
//!
//! A handler (or a plugin's extractor, such as `CallScope`) that starts work outliving its call
//! hands it to the engine with [`EngineTasks::spawn`] (or wraps it with [`EngineTasks::track`]):
//! a graceful shutdown then waits for it within the grace period, as for in-flight calls, and
//! drops it once the grace period is over, counting it in the shutdown log's `abandoned_tasks`
//! and in [`ShutdownReport::abandoned_tasks`](super::ShutdownReport::abandoned_tasks).
//!
//! # Example
//! ```
//! use std::time::Duration;
//! use axum::{routing::get, Router};
//! use oxtor_runtime::{server::{EngineTasks, Server, ServerConfig}, Application};
//!
//! async fn audit(tasks: Option<EngineTasks>) -> &'static str {
//!     if let Some(tasks) = tasks {
//!         tasks.spawn(async { tokio::time::sleep(Duration::from_millis(50)).await });
//!     }
//!     "ok"
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/", get(audit)))?;
//! let running = Server::new(app, ServerConfig::local(0)).start().await?;
//! // ... a call starts the task; the shutdown waits for it:
//! let report = running.shutdown_with_report().await?;
//! assert_eq!(report.abandoned_tasks, 0);
//! # Ok(()) }
//! ```
use std::{
    convert::Infallible,
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::{request::Parts, Extensions};
use tokio::task::JoinHandle;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::call::ClientDisconnect;

/// The engine's tracker of background work: connections, calls that outlived their client, and
/// tasks handed to it. In every request the engine serves (extractor `Option<EngineTasks>`, or
/// [`EngineTasks::of`]); absent when the router is served some other way. See the
/// [module docs](self).
#[derive(Clone, Debug)]
pub struct EngineTasks {
    tracker: TaskTracker,
    hard_stop: CancellationToken,
    abandoned: Arc<AtomicUsize>,
}

impl EngineTasks {
    pub(crate) fn new(hard_stop: CancellationToken) -> Self {
        Self {
            tracker: TaskTracker::new(),
            hard_stop,
            abandoned: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The engine's tasks, from the extensions of a request it serves.
    pub fn of(extensions: &Extensions) -> Option<Self> {
        extensions
            .get::<ClientDisconnect>()
            .map(|d| d.engine_tasks().clone())
    }

    /// Wraps `task` so the graceful shutdown waits for it (from now on, even before it is first
    /// polled); it yields `None` if the grace period ran out first (it is then dropped, its
    /// `Drop` guards run, and it counts as abandoned).
    pub fn track<F: Future>(&self, task: F) -> impl Future<Output = Option<F::Output>> {
        let hard_stop = self.hard_stop.clone();
        let abandoned = self.abandoned.clone();
        self.tracker.track_future(async move {
            tokio::select! {
                biased;
                _ = hard_stop.cancelled() => {
                    abandoned.fetch_add(1, Ordering::Relaxed);
                    None
                }
                out = task => Some(out),
            }
        })
    }

    /// Spawns `task` on the current Tokio runtime, [tracked](Self::track).
    pub fn spawn<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(self.track(task))
    }

    /// How many tracked tasks the shutdown dropped so far.
    pub fn abandoned(&self) -> usize {
        self.abandoned.load(Ordering::Relaxed)
    }

    pub(crate) fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    pub(crate) fn hard_stop(&self) -> &CancellationToken {
        &self.hard_stop
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for EngineTasks {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Infallible> {
        Ok(Self::of(&parts.extensions))
    }
}

/// Rejection of the `EngineTasks` and `ConnectionInfo` extractors outside the engine (e.g.
/// under `axum::serve`).
#[derive(Debug, Clone, Copy)]
pub struct NotServedByEngine;

impl axum::response::IntoResponse for NotServedByEngine {
    fn into_response(self) -> axum::response::Response {
        (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "this extractor needs a request served by oxtor's engine",
        )
            .into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for EngineTasks {
    type Rejection = NotServedByEngine;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, NotServedByEngine> {
        Self::of(&parts.extensions).ok_or(NotServedByEngine)
    }
}
