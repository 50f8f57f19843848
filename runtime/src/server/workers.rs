//! The thread-per-core mode ([`ServerConfig::thread_per_core`](super::ServerConfig::thread_per_core),
//! `ktor.deployment.threadPerCore`): N worker threads, each a current-thread Tokio runtime with
//! its own `SO_REUSEPORT` listener per connector, serving the same application.
//!
//! The kernel spreads new connections over the workers' listeners; a connection, its calls and
//! the [`EngineTasks`](super::EngineTasks) they spawn stay on the worker that accepted it, so a
//! request never crosses threads. Everything else is the engine's as in the default mode, shared
//! by all workers: `maxConnections` counts every worker's connections, one ticker enforces the
//! timeouts, the hooks and stream wrappers (TLS) are the same, and a graceful shutdown stops
//! every worker's accepting, waits for every call, then ends the worker threads.
//!
//! # Example
//! ```
//! use axum::{routing::get, Router};
//! use oxtor_runtime::{server::{Server, ServerConfig}, Application};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/", get(|| async { "hi" })))?;
//! // Two workers, each with its own listener on the same port.
//! let running = Server::new(app, ServerConfig::local(0).with_thread_per_core(2)).start().await?;
//! assert_eq!(running.workers(), 2);
//! running.shutdown().await?; // returns once both worker threads are gone
//! # Ok(()) }
//! ```
use std::{io, sync::Arc};

use tokio::{net::TcpSocket, sync::oneshot, task::JoinHandle};

use super::{accept, hooks::StreamWrapper, EngineShared};
use crate::{error::Error, Result};

/// One connector's sockets (one per worker) and its stream wrapper.
pub(crate) type Group = (Vec<TcpSocket>, Option<Arc<dyn StreamWrapper>>);

/// A worker's socket for one connector, and the connector's stream wrapper.
type WorkerSocket = (TcpSocket, Option<Arc<dyn StreamWrapper>>);

/// The running workers: the accept loops (one per worker and connector) and, per worker, a
/// signal that its thread is over.
pub(crate) struct Started {
    pub(crate) accept_loops: Vec<JoinHandle<()>>,
    pub(crate) exited: Vec<oneshot::Receiver<()>>,
}

/// Starts `workers` threads; worker `i` listens on the `i`-th socket of every group. If a worker
/// cannot start, the ones that did are stopped and the error returned.
pub(crate) async fn start(
    shared: &Arc<EngineShared>,
    groups: Vec<Group>,
    workers: usize,
) -> Result<Started> {
    let mut per_worker: Vec<Vec<WorkerSocket>> = (0..workers).map(|_| Vec::new()).collect();
    for (sockets, wrapper) in groups {
        for (socket, mine) in sockets.into_iter().zip(per_worker.iter_mut()) {
            mine.push((socket, wrapper.clone()));
        }
    }
    let mut started = Started {
        accept_loops: Vec::new(),
        exited: Vec::with_capacity(workers),
    };
    let mut failure = None;
    for (index, sockets) in per_worker.into_iter().enumerate() {
        match spawn(index, shared.clone(), sockets).await {
            Ok((loops, exited)) => {
                started.accept_loops.extend(loops);
                started.exited.push(exited);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    match failure {
        None => Ok(started),
        Some(e) => {
            shared.start_hard_stop();
            for exited in started.exited {
                let _ = exited.await;
            }
            Err(e)
        }
    }
}

/// Starts worker `index`: its thread, its runtime, its listeners and accept loops; returns once
/// it listens.
async fn spawn(
    index: usize,
    shared: Arc<EngineShared>,
    sockets: Vec<WorkerSocket>,
) -> Result<(Vec<JoinHandle<()>>, oneshot::Receiver<()>)> {
    let (ready_tx, ready_rx) = oneshot::channel::<io::Result<Vec<JoinHandle<()>>>>();
    let (exit_tx, exit_rx) = oneshot::channel();
    let name = format!("oxtor-worker-{index}");
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => {
                    runtime.block_on(run(shared, sockets, ready_tx));
                    // Drops what a hard stop left on this worker.
                    drop(runtime);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
            let _ = exit_tx.send(());
        })
        .map_err(|e| Error::io(format!("cannot start the thread {name}"), e))?;
    match ready_rx.await {
        Ok(Ok(loops)) => Ok((loops, exit_rx)),
        Ok(Err(e)) => Err(Error::io(format!("worker {name} cannot listen"), e)),
        Err(_) => Err(Error::io(
            format!("worker {name} cannot listen"),
            io::Error::other("the worker thread ended"),
        )),
    }
}

/// A worker's life on its own runtime: listen, accept until shutdown, serve until every call
/// and engine task is done (or the hard stop).
async fn run(
    shared: Arc<EngineShared>,
    sockets: Vec<WorkerSocket>,
    ready: oneshot::Sender<io::Result<Vec<JoinHandle<()>>>>,
) {
    let mut loops = Vec::with_capacity(sockets.len());
    for (socket, wrapper) in sockets {
        match accept::listen(socket) {
            Ok(listener) => loops.push(tokio::spawn(accept::accept_loop(
                listener,
                shared.clone(),
                wrapper,
                accept::Permit::AfterAccept,
            ))),
            Err(e) => {
                loops.iter().for_each(JoinHandle::abort);
                let _ = ready.send(Err(e));
                return;
            }
        }
    }
    if ready.send(Ok(loops)).is_err() {
        return;
    }
    // The connections and tasks on this runtime only run while it is driven: drive it until
    // the drain is over everywhere (the tracker is closed and empty) or the hard stop.
    let tracker = shared.tasks.tracker();
    tokio::select! {
        _ = shared.hard_stop.cancelled() => {}
        _ = async {
            shared.graceful.cancelled().await;
            tracker.wait().await;
        } => {}
    }
}
