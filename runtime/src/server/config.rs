//! [`ServerConfig`]: where the engine listens and how long it drains on shutdown.
use std::time::Duration;

/// Where and how the engine listens. See the [module docs](crate::server).
///
/// Finer engine settings (header read timeout, handshake timeout) are builder methods on
/// [`Server`](super::Server), so this struct stays a plain record of Ktor's deployment keys.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Host or IP to bind (`ktor.deployment.host`).
    pub host: String,
    /// Port to bind; 0 picks a free one (`ktor.deployment.port`).
    pub port: u16,
    /// How long in-flight calls may run after shutdown starts
    /// (`ktor.deployment.shutdownGracePeriod`). Past it, every connection is closed.
    pub shutdown_grace_period: Duration,
}

impl ServerConfig {
    /// 127.0.0.1 on `port`, 10 s grace period.
    pub fn local(port: u16) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port,
            ..Self::default()
        }
    }

    /// The same config with another grace period.
    #[must_use]
    pub fn with_shutdown_grace_period(mut self, grace: Duration) -> Self {
        self.shutdown_grace_period = grace;
        self
    }
}

impl Default for ServerConfig {
    /// 0.0.0.0:8080, 10 s grace period.
    fn default() -> Self {
        Self {
            host: "0.0.0.0".to_owned(),
            port: 8080,
            shutdown_grace_period: Duration::from_secs(10),
        }
    }
}
