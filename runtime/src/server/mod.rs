//! The engine: our own accept loop on hyper-util's `auto` builder (HTTP/1.1 and h2c on one port),
//! graceful shutdown, and the [`EngineHooks`] plugins register.
//!
//! # Example
//! ```
//! use oxtor_runtime::{server::{Server, ServerConfig}, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/", get(|| async { "hi" })))?;
//! let running = Server::new(app, ServerConfig::local(0)).start().await?;
//! assert_ne!(running.local_addr().port(), 0);
//! running.shutdown().await?;
//! # Ok(()) }
//! ```
use std::{convert::Infallible, future::Future, net::SocketAddr, time::Duration};

use axum::{extract::Request, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tower_service::Service;

use crate::{app::Application, error::Error, Result};

/// Callbacks plugins register with the engine (see [`Application::engine_hooks`]).
#[derive(Default)]
pub struct EngineHooks {}

impl std::fmt::Debug for EngineHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHooks").finish_non_exhaustive()
    }
}

/// Where and how the engine listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Host or IP to bind (`ktor.deployment.host`).
    pub host: String,
    /// Port to bind; 0 picks a free one (`ktor.deployment.port`).
    pub port: u16,
    /// How long in-flight calls may run after shutdown starts (`ktor.deployment.shutdownGracePeriod`).
    pub shutdown_grace_period: Duration,
}

impl ServerConfig {
    /// 127.0.0.1 on `port`, 10 s grace period.
    pub fn local(port: u16) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port,
            shutdown_grace_period: Duration::from_secs(10),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "0.0.0.0".to_owned(),
            port: 8080,
            shutdown_grace_period: Duration::from_secs(10),
        }
    }
}

/// An application ready to be served.
#[derive(Debug)]
pub struct Server {
    router: Router,
    #[allow(dead_code)]
    hooks: EngineHooks,
    config: ServerConfig,
}

impl Server {
    /// Serves `app` with `config`.
    pub fn new<S: Clone + Send + Sync + 'static>(
        app: Application<S>,
        config: ServerConfig,
    ) -> Self {
        let (router, hooks) = app.into_parts();
        Self {
            router,
            hooks,
            config,
        }
    }

    /// Binds and starts accepting in the background.
    pub async fn start(self) -> Result<RunningServer> {
        let addr = format!("{}:{}", self.config.host, self.config.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|e| Error::io(format!("cannot bind {addr}"), e))?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the bound address", e))?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let grace = self.config.shutdown_grace_period;
        let task = tokio::spawn(accept_loop(listener, self.router, stop_rx, grace));
        tracing::info!(%local_addr, "oxtor listening");
        Ok(RunningServer {
            local_addr,
            stop_tx,
            task,
        })
    }

    /// Binds, serves until SIGINT/SIGTERM, then shuts down gracefully.
    pub async fn run(self) -> Result<()> {
        let running = self.start().await?;
        shutdown_signal().await;
        tracing::info!("shutdown signal received");
        running.shutdown().await
    }
}

/// A server accepting connections in the background.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    stop_tx: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the engine at once, dropping every connection (what a test does at drop).
    pub fn abort(self) {
        let _ = self.stop_tx.send(true);
        self.task.abort();
    }

    /// Stops accepting, lets in-flight calls finish within the grace period, then closes.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop_tx.send(true);
        self.task
            .await
            .map_err(|e| Error::Other(format!("engine task failed: {e}")))
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let (conn_stop_tx, _) = watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            res = listener.accept() => match res {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut conn_stop = conn_stop_tx.subscribe();
        conns.spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let mut router = router.clone();
                async move {
                    Ok::<_, Infallible>(
                        router
                            .call(req.map(axum::body::Body::new))
                            .await
                            .unwrap_or_else(|e| match e {}),
                    )
                }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                res = conn.as_mut() => {
                    if let Err(e) = res { tracing::debug!(%peer, error = %e, "connection error"); }
                }
                _ = conn_stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    let _ = conn_stop_tx.send(true);
    let drained =
        tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            ?grace,
            remaining = conns.len(),
            "grace period over, closing connections"
        );
        conns.shutdown().await;
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
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
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Serves `app` on `port` (all interfaces) until SIGINT/SIGTERM, building it with `module` first.
/// Ktor's `embeddedServer(Netty, port) { module() }`.
pub async fn embedded_server<F>(port: u16, module: F) -> Result<()>
where
    F: FnOnce(&mut Application<()>) -> Result<()>,
{
    let mut app = Application::new(());
    module(&mut app)?;
    let config = ServerConfig {
        port,
        ..ServerConfig::default()
    };
    Server::new(app, config).run().await
}

#[allow(dead_code)]
fn _assert_send<F: Future + Send>(_: F) {}
