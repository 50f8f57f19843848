//! The `RequestTimeout` plugin: a call that has not produced its response within the timeout
//! is dropped and answered `504 Gateway Timeout`, the status Ktor gives a
//! `TimeoutCancellationException`. It is tower-http's `TimeoutLayer` with that status.
//!
//! ```text
//! install!(RequestTimeout { timeout = Duration::from_secs(10) })
//! ```
//! desugars to [`RequestTimeout::configure`]. The timeout covers the handler up to its
//! response head, not the streaming of the body. Per route group: `routing! { layer(l) { .. } }`
//! with [`RequestTimeout::into_layer`].
//!
//! # Example
//! ```
//! use std::time::Duration;
//! use oxtor_runtime::{plugins::timeout::RequestTimeout, testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(RequestTimeout::configure(|cfg| { cfg.timeout(Duration::from_millis(50)); }))?;
//! app.routing(Router::new().route("/slow", get(|| async {
//!     tokio::time::sleep(Duration::from_secs(5)).await;
//!     "late"
//! })))?;
//! let server = TestApplication::start(app).await?;
//! assert_eq!(server.get("/slow").await?.status(), 504);
//!
//! let err = RequestTimeout::configure(|cfg| { cfg.timeout(Duration::ZERO); }).unwrap_err();
//! assert_eq!(err.to_string(), "RequestTimeout.timeout: must be more than zero");
//! # Ok(()) }
//! ```
use std::time::Duration;

use http::StatusCode;
use tower_http::timeout::TimeoutLayer;

use crate::{app::Application, ConfigError, Plugin};

/// The configuration of [`RequestTimeout`].
#[derive(Debug, Clone)]
pub struct RequestTimeoutConfig {
    timeout: Duration,
}

impl RequestTimeoutConfig {
    /// How long a call may take to produce its response (30 s by default).
    pub fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// [`timeout`](Self::timeout) in milliseconds.
    pub fn timeout_millis(&mut self, millis: u64) -> &mut Self {
        self.timeout(Duration::from_millis(millis))
    }
}

/// The request-timeout plugin; see the [module docs](crate::plugins::timeout).
#[derive(Debug, Clone)]
pub struct RequestTimeout {
    timeout: Duration,
}

impl RequestTimeout {
    /// Configures the plugin; what `install!(RequestTimeout { .. })` desugars to.
    pub fn configure(f: impl FnOnce(&mut RequestTimeoutConfig)) -> Result<Self, ConfigError> {
        let mut cfg = RequestTimeoutConfig {
            timeout: Duration::from_secs(30),
        };
        f(&mut cfg);
        if cfg.timeout.is_zero() {
            return Err(ConfigError::new(
                "RequestTimeout.timeout",
                "must be more than zero",
            ));
        }
        Ok(Self {
            timeout: cfg.timeout,
        })
    }

    /// The plugin as tower-http's `TimeoutLayer` answering 504.
    pub fn into_layer(self) -> TimeoutLayer {
        TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, self.timeout)
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for RequestTimeout {
    const NAME: &'static str = "RequestTimeout";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}
