//! Stopping: the OS signals that start a graceful shutdown, and the drain that follows
//! (stop accepting, let in-flight calls finish within the grace period, then close).
use std::time::Duration;

use super::EngineShared;

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!(signal = "SIGINT", "shutdown signal received"),
        _ = term => tracing::info!(signal = "SIGTERM", "shutdown signal received"),
    }
}

/// What a graceful shutdown
/// ([`RunningServer::shutdown_with_report`](super::RunningServer::shutdown_with_report)) had to
/// leave unfinished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Whether every call, connection and engine task finished within the grace period.
    pub in_time: bool,
    /// Connections still open when the grace period ran out (closed then).
    pub abandoned_connections: usize,
    /// Calls and [`EngineTasks`](super::EngineTasks) dropped when the grace period ran out.
    pub abandoned_tasks: usize,
    /// How long the drain took.
    pub elapsed: Duration,
}

/// Drains the engine after its accept loop stopped: waits for connections, detached calls and
/// engine tasks up to `grace`, then closes whatever is left and counts it.
pub(crate) async fn drain(shared: &EngineShared, grace: Duration) -> ShutdownReport {
    shared.start_graceful();
    let tracker = shared.tasks.tracker();
    tracker.close();
    let started = tokio::time::Instant::now();
    let in_time = tokio::time::timeout(grace, tracker.wait()).await.is_ok();
    let mut abandoned_connections = 0;
    if in_time {
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "all calls finished; server stopped"
        );
    } else {
        abandoned_connections = shared.registry.len();
        tracing::warn!(
            grace_ms = grace.as_millis() as u64,
            connections = abandoned_connections,
            "grace period over; closing the remaining connections and tasks"
        );
        shared.start_hard_stop();
        // Connections and tasks notice the hard stop at their next poll.
        let _ = tokio::time::timeout(Duration::from_secs(1), tracker.wait()).await;
    }
    let report = ShutdownReport {
        in_time,
        abandoned_connections,
        abandoned_tasks: shared.tasks.abandoned(),
        elapsed: started.elapsed(),
    };
    if !in_time {
        tracing::warn!(
            abandoned_connections = report.abandoned_connections,
            abandoned_tasks = report.abandoned_tasks,
            "server stopped; work abandoned"
        );
    }
    report
}
