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

/// Drains the engine after its accept loop stopped: waits for connections and detached calls up
/// to `grace`, then closes whatever is left. Returns whether everything finished in time.
pub(crate) async fn drain(shared: &EngineShared, grace: Duration) -> bool {
    shared.start_graceful();
    shared.tracker.close();
    let started = tokio::time::Instant::now();
    let in_time = tokio::time::timeout(grace, shared.tracker.wait())
        .await
        .is_ok();
    if in_time {
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "all calls finished; server stopped"
        );
    } else {
        tracing::warn!(
            grace_ms = grace.as_millis() as u64,
            remaining = shared.tracker.len(),
            "grace period over; closing the remaining connections"
        );
        shared.start_hard_stop();
        // Connections and calls notice the hard stop at their next poll.
        let _ = tokio::time::timeout(Duration::from_secs(1), shared.tracker.wait()).await;
    }
    in_time
}
