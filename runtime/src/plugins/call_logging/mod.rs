//! The `CallLogging` plugin: Ktor's `CallLogging` on `tracing`. Each call runs inside a `call`
//! span (fields `method`, `path`, `call_id` and the `mdc` entries, so a handler's own events
//! carry them, as Ktor's MDC does), and when its response is ready one event is logged at the
//! configured level with Ktor's line: `200 OK: GET - /path in 3ms` (`302 Found: GET - /old in
//! 1ms -> /new` for a redirect), target `oxtor::call_logging`, with the fields `status`,
//! `method`, `path`, `latency_ms` and `call_id` too.
//!
//! ```text
//! install!(CallLogging {
//!     level = Level::INFO
//!     filter(|call| call.path().starts_with("/api"))
//!     mdc("user-agent", |req| req.headers.get("user-agent").and_then(|v| v.to_str().ok()).map(str::to_owned))
//!     format(|call| format!("{}: {} {}", call.status(), call.method(), call.path()))
//! })
//! ```
//! desugars to [`CallLogging::configure`]. Filters see the finished call ([`LoggedCall`]); a
//! call is logged when any filter accepts it (or there are none), as in Ktor. `mdc` providers
//! see the request when it arrives. The call id comes from the `CallId` plugin (installed
//! before `CallLogging`) or any layer that sets tower-http's `RequestId`.
//!
//! tower-http's `TraceLayer` is the axum way to do this; `CallLogging` is a layer of its own
//! because Ktor's line needs the request and the response together, which `TraceLayer`'s
//! callbacks never see at once.
//!
//! # Where oxtor differs from Ktor 3.4.0
//! No ANSI colours (a `tracing` subscriber decides how lines look); `logger` is the `tracing`
//! subscriber; `disableForStaticContent` and `clock` are not provided. The latency ends when
//! the response head is ready, not when the body is sent.
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::call_logging::CallLogging, testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(CallLogging::configure(|cfg| {
//!     cfg.level(tracing::Level::DEBUG);
//!     cfg.filter(|call| call.path() != "/health");
//! }))?;
//! app.routing(Router::new().route("/", get(|| async { "hi" })))?;
//! let server = TestApplication::start(app).await?;
//! assert_eq!(server.get_text("/").await?, "hi");
//! # Ok(()) }
//! ```
use std::{fmt, sync::Arc, time::Duration};

use http::{request::Parts, HeaderValue, Method, StatusCode, Uri, Version};
use tracing::Level;

use crate::{app::Application, ConfigError, Plugin};

mod service;

#[doc(inline)]
pub use self::service::{CallLoggingLayer, CallLoggingService, ResponseFuture};

type Filter = Arc<dyn Fn(&LoggedCall) -> bool + Send + Sync>;
type Formatter = Arc<dyn Fn(&LoggedCall) -> String + Send + Sync>;
type MdcProvider = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;

/// A finished call, as `filter` and `format` see it (Ktor's `call` after the response).
#[derive(Debug, Clone)]
pub struct LoggedCall {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) version: Version,
    pub(crate) status: StatusCode,
    pub(crate) latency: Duration,
    pub(crate) call_id: Option<String>,
    pub(crate) location: Option<HeaderValue>,
    pub(crate) mdc: Vec<(&'static str, String)>,
}

impl LoggedCall {
    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }
    /// The request URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }
    /// The request path.
    pub fn path(&self) -> &str {
        self.uri.path()
    }
    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }
    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The time from the request to the response head.
    pub fn latency(&self) -> Duration {
        self.latency
    }
    /// The call id, when the `CallId` plugin (or tower-http's `SetRequestId`) set one.
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }
    /// The value of the `mdc` entry `name`, when its provider gave one.
    pub fn mdc(&self, name: &str) -> Option<&str> {
        self.mdc
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Ktor's default line: `200 OK: GET - /path in 3ms`, with ` -> <Location>` for a 302.
    pub fn default_format(&self) -> String {
        let ms = self.latency.as_millis();
        let status = self.status;
        let reason = status.canonical_reason().unwrap_or("");
        let mut line = format!(
            "{} {reason}: {} - {} in {ms}ms",
            status.as_u16(),
            self.method,
            self.path()
        );
        if status == StatusCode::FOUND {
            let location = self.location.as_ref().and_then(|v| v.to_str().ok());
            line.push_str(" -> ");
            line.push_str(location.unwrap_or("null"));
        }
        line
    }
}

/// The configuration of [`CallLogging`]. Built by `install!(CallLogging { .. })`.
pub struct CallLoggingConfig {
    level: Level,
    filters: Vec<Filter>,
    format: Option<Formatter>,
    mdc: Vec<(&'static str, MdcProvider)>,
    call_id_mdc: Option<&'static str>,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for CallLoggingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallLoggingConfig")
            .field("level", &self.level)
            .field("filters", &self.filters.len())
            .field("mdc", &self.mdc.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for CallLoggingConfig {
    fn default() -> Self {
        Self {
            level: Level::INFO,
            filters: Vec::new(),
            format: None,
            mdc: Vec::new(),
            call_id_mdc: None,
            errors: Vec::new(),
        }
    }
}

impl CallLoggingConfig {
    /// The level calls are logged at (`INFO` by default, as Ktor).
    pub fn level(&mut self, level: Level) -> &mut Self {
        self.level = level;
        self
    }

    /// Logs only calls some filter accepts (Ktor's `filter { call -> }`; calls accumulate).
    pub fn filter(
        &mut self,
        filter: impl Fn(&LoggedCall) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Replaces Ktor's line with `format`'s (Ktor's `format { call -> }`).
    pub fn format(
        &mut self,
        format: impl Fn(&LoggedCall) -> String + Send + Sync + 'static,
    ) -> &mut Self {
        self.format = Some(Arc::new(format));
        self
    }

    /// Adds an MDC entry: `provider` sees the request as it arrives; its value is in the call's
    /// span (field `mdc`, `name=value` pairs) and in [`LoggedCall::mdc`]. Ktor's `mdc(name) { }`.
    pub fn mdc(
        &mut self,
        name: &'static str,
        provider: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    ) -> &mut Self {
        if name.is_empty() || self.mdc.iter().any(|(n, _)| *n == name) {
            self.errors.push(ConfigError::new(
                "CallLogging.mdc",
                format!("`{name}` is empty or already defined"),
            ));
        } else {
            self.mdc.push((name, Arc::new(provider)));
        }
        self
    }

    /// Puts the call id in the MDC under `name` too (Ktor's `callIdMdc(name)`); it is always in
    /// the span's `call_id` field.
    pub fn call_id_mdc(&mut self, name: &'static str) -> &mut Self {
        self.call_id_mdc = Some(name);
        self
    }
}

pub(crate) struct Settings {
    pub(crate) level: Level,
    pub(crate) filters: Vec<Filter>,
    pub(crate) format: Option<Formatter>,
    pub(crate) mdc: Vec<(&'static str, MdcProvider)>,
    pub(crate) call_id_mdc: Option<&'static str>,
}

/// The call-logging plugin; see the [module docs](crate::plugins::call_logging).
#[derive(Clone)]
pub struct CallLogging {
    settings: Arc<Settings>,
}

impl fmt::Debug for CallLogging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallLogging")
            .field("level", &self.settings.level)
            .finish_non_exhaustive()
    }
}

impl CallLogging {
    /// Configures the plugin; what `install!(CallLogging { .. })` desugars to.
    pub fn configure(f: impl FnOnce(&mut CallLoggingConfig)) -> Result<Self, ConfigError> {
        let mut cfg = CallLoggingConfig::default();
        f(&mut cfg);
        if let Some(e) = cfg.errors.into_iter().next() {
            return Err(e);
        }
        Ok(Self {
            settings: Arc::new(Settings {
                level: cfg.level,
                filters: cfg.filters,
                format: cfg.format,
                mdc: cfg.mdc,
                call_id_mdc: cfg.call_id_mdc,
            }),
        })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> CallLoggingLayer {
        CallLoggingLayer::new(self.settings)
    }
}

impl Default for CallLogging {
    /// Every call, at `INFO`, Ktor's line.
    fn default() -> Self {
        Self::configure(|_| {}).unwrap_or_else(|_| unreachable!("the empty configuration is valid"))
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for CallLogging {
    const NAME: &'static str = "CallLogging";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(status: u16, location: Option<&'static str>) -> LoggedCall {
        LoggedCall {
            method: Method::GET,
            uri: Uri::from_static("/old?x=1"),
            version: Version::HTTP_11,
            status: StatusCode::from_u16(status).unwrap(),
            latency: Duration::from_millis(3),
            call_id: None,
            location: location.map(HeaderValue::from_static),
            mdc: Vec::new(),
        }
    }

    #[test]
    fn ktor_line() {
        assert_eq!(
            call(200, None).default_format(),
            "200 OK: GET - /old in 3ms"
        );
        assert_eq!(
            call(302, Some("/new")).default_format(),
            "302 Found: GET - /old in 3ms -> /new"
        );
    }
}
