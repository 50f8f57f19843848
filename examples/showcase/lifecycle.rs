//! The showcase's lifecycle part: `HttpRequestLifecycle { cancel_call_on_close = true }`, the
//! seed's `GET /long-process`, `GET /work?ms=N` (cancelled when its client leaves) and
//! `GET /slow?ms=N` (under `lifecycle(cancel_call_on_close = false)`: always finishes).
use std::time::Duration;

use axum::extract::Query;
use oxtor::{
    plugins::lifecycle::{Cancellation, HttpRequestLifecycle},
    prelude::*,
};
use serde::Deserialize;

/// Installs the lifecycle plugin: calls are cancelled when their client goes away.
pub(crate) fn install(app: &mut Application) -> oxtor::Result<()> {
    app.install(install!(HttpRequestLifecycle {
        cancel_call_on_close = true
    }))
}

/// The seed's loop: important work every 10 s until the client leaves.
#[route(GET, "/long-process")]
async fn long_process(cancel: Cancellation) -> &'static str {
    let work = async {
        while !cancel.is_cancelled() {
            tokio::time::sleep(Duration::from_secs(10)).await;
            tracing::info!("Very important work.");
        }
    };
    tokio::select! {
        _ = work => "Completed",
        _ = cancel.cancelled() => {
            tracing::info!("Cleaning up resources.");
            ""
        }
    }
}

#[derive(Deserialize)]
struct Work {
    ms: Option<u64>,
}

/// Sleeps `ms` milliseconds (at most a minute), then answers `done`.
async fn sleep_then_done(q: Work) -> &'static str {
    let ms = q.ms.unwrap_or(1_000).min(60_000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "done"
}

/// `GET /work?ms=N`: cancelled when its client leaves, like every route of the app.
#[route(GET, "/work")]
async fn work(Query(q): Query<Work>) -> &'static str {
    sleep_then_done(q).await
}

/// `GET /slow?ms=N`: the same work under `cancel_call_on_close = false`, so it always finishes.
#[route(GET, "/slow")]
async fn slow(Query(q): Query<Work>) -> &'static str {
    sleep_then_done(q).await
}

/// The lifecycle routes.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! {
        long_process,
        work,
        lifecycle(cancel_call_on_close = false) { slow }
    }
}
