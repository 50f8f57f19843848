//! `HttpRequestLifecycle`: whether a call is cancelled when its client goes away — a choice,
//! per application and per route, not an accident. Ktor's `HttpRequestLifecycle` plugin.
//!
//! - **Off** (no plugin, or `cancel_call_on_close = false`, Ktor's default): a call runs to
//!   completion even if its client disconnects; its response is discarded (the engine sees to
//!   that, see [`server`](crate::server)). Counted in
//!   [`CallMetrics::calls_finished_without_client`].
//! - **On** (`install!(HttpRequestLifecycle { cancel_call_on_close = true })`): when the client
//!   closes or resets its connection while the call runs — also while the request body is
//!   unread — or resets the call's HTTP/2 stream, the call is cancelled: its [`Cancellation`] is
//!   cancelled (cause [`ConnectionClosed`], "Connection was closed"), the handler is polled once
//!   more so a `select!` branch on it runs, then dropped (its `Drop` guards run), tasks spawned
//!   through its [`CallScope`] are dropped, nothing is sent, and the call is logged at `debug`
//!   with its latency and counted in [`CallMetrics::cancelled_calls`]. Sibling HTTP/2
//!   streams, other calls and the server are untouched (unlike Ktor 3.4.0's KTOR-9343).
//! - **Half-close**: at the TCP level a client that shut down its writing side (FIN) cannot be
//!   told from one that left, so under `cancel_call_on_close = true` a FIN during the call counts
//!   as a disconnect (Netty and nginx decide the same). A request that only says
//!   `Connection: close`, or is HTTP/1.0, completes normally (unlike Ktor 3.4.0's KTOR-9731).
//!   A route that must answer half-closing clients goes in a
//!   `lifecycle(cancel_call_on_close = false) { .. }` routing block ([`LifecycleBlocks`]).
//! - **Per route**: the plugin sets the application's default; a `lifecycle(..)` block (a
//!   [`LifecycleLayer`] on its routes) overrides it for the routes inside, either way, and works
//!   without the plugin too.
//! - **Where it runs**: the plugin only sets the engine's public call-watch policy
//!   ([`EngineHooks::cancel_calls_on_close`](crate::server::EngineHooks::cancel_calls_on_close));
//!   the engine watches each call itself ([`call_watch`](crate::server::call_watch): no router
//!   layer, so the plugin costs about nothing on calls that finish in one poll; the client's
//!   socket is watched only once a call waits). [`LifecycleLayer`] is the same watch for a route
//!   group. An application served some other way (`into_router()` + `axum::serve`) gets no
//!   disconnect signal, so nothing is cancelled there.
//!
//! # Example
//! ```
//! use std::time::Duration;
//! use axum::{routing::get, Router};
//! use oxtor_runtime::{
//!     plugins::lifecycle::{Cancellation, HttpRequestLifecycle},
//!     plugins::lifecycle::LifecycleBlocks,
//!     routing::{Blocks, RoutingBlock, Routes},
//!     testing::TestApplication,
//!     Application,
//! };
//!
//! async fn work(cancel: Cancellation) -> &'static str {
//!     tokio::select! {
//!         _ = tokio::time::sleep(Duration::from_millis(10)) => "done",
//!         _ = cancel.cancelled() => { tracing::info!("Cleaning up resources."); "" }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! // What `install!(HttpRequestLifecycle { cancel_call_on_close = true })` expands to:
//! let plugin = HttpRequestLifecycle::configure(|cfg| {
//!     cfg.cancel_call_on_close(true);
//! });
//! let metrics = plugin.as_ref().map(|p| p.metrics()).expect("valid config");
//! app.install(plugin)?;
//! // What `routing! { lifecycle(cancel_call_on_close = false) { slow } }` expands to:
//! let mut block = Blocks.lifecycle();
//! block.cancel_call_on_close(false);
//! app.routing(Router::new().route("/work", get(work)))?;
//! app.routing(block.wrap(Routes::from(Router::new().route("/slow", get(work)))))?;
//!
//! let server = TestApplication::start(app).await?;
//! assert_eq!(server.get_text("/work").await?, "done");
//! assert_eq!(server.get_text("/slow").await?, "done");
//! assert_eq!(metrics.cancelled_calls(), 0);
//! # Ok(()) }
//! ```
use crate::{app::Application, ConfigError, Plugin, Result};

mod block;
mod call;
mod layer;

pub mod future;

#[doc(inline)]
pub use block::{LifecycleBlock, LifecycleBlocks};
#[doc(inline)]
pub use call::{CallCancelled, CallScope, Cancellation, ConnectionClosed};
#[doc(inline)]
pub use layer::{LifecycleLayer, LifecycleService};

/// Counters of calls whose client went away: the engine's, re-exported here for the plugin's
/// users. Read them from [`HttpRequestLifecycle::metrics`], or hand them to the plugin with
/// [`HttpRequestLifecycleConfig::metrics`].
pub use crate::server::CallMetrics;

/// The `HttpRequestLifecycle` plugin. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct HttpRequestLifecycle {
    config: HttpRequestLifecycleConfig,
}

/// The configuration of [`HttpRequestLifecycle`], one builder method per Ktor key.
#[derive(Clone, Debug, Default)]
pub struct HttpRequestLifecycleConfig {
    cancel_call_on_close: bool,
    metrics: CallMetrics,
}

impl HttpRequestLifecycleConfig {
    /// `cancelCallOnClose`: cancel a call when its client goes away (default `false`).
    pub fn cancel_call_on_close(&mut self, cancel: bool) -> &mut Self {
        self.cancel_call_on_close = cancel;
        self
    }

    /// Counts into `metrics` (e.g. one a metrics route also holds) instead of fresh counters.
    pub fn metrics(&mut self, metrics: CallMetrics) -> &mut Self {
        self.metrics = metrics;
        self
    }
}

impl HttpRequestLifecycle {
    /// Configures the plugin; what `install!(HttpRequestLifecycle { .. })` expands to.
    pub fn configure(
        f: impl FnOnce(&mut HttpRequestLifecycleConfig),
    ) -> std::result::Result<Self, ConfigError> {
        let mut config = HttpRequestLifecycleConfig::default();
        f(&mut config);
        Ok(Self { config })
    }

    /// The plugin's counters (shared with the installed plugin).
    pub fn metrics(&self) -> CallMetrics {
        self.config.metrics.clone()
    }

    /// Whether calls are cancelled when their client goes away.
    pub fn cancels_call_on_close(&self) -> bool {
        self.config.cancel_call_on_close
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for HttpRequestLifecycle {
    const NAME: &'static str = "HttpRequestLifecycle";

    /// Sets the engine's call-watch policy and counters (public [`EngineHooks`] only). An
    /// application served by something else than oxtor's engine (`into_router()` +
    /// `axum::serve`) learns nothing about its clients, so there the plugin does nothing.
    ///
    /// [`EngineHooks`]: crate::server::EngineHooks
    fn install(self, app: &mut Application<S>) -> Result<()> {
        app.engine_hooks()
            .set_call_metrics(self.config.metrics)
            .cancel_calls_on_close(self.config.cancel_call_on_close);
        Ok(())
    }
}
