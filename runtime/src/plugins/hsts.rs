//! The `HSTS` plugin: Ktor's `HSTS`. Responses to requests made over `https` on port 443 (as
//! [`RequestOrigin`] says, so behind a trusted proxy with `XForwardedHeaders` it is what the
//! client used) get `Strict-Transport-Security: max-age=31536000; includeSubDomains`.
//!
//! ```text
//! install!(HSTS {
//!     max_age_in_seconds = 10  include_sub_domains = false  preload = true
//!     custom_directive("redirectHttpToHttps", None)
//!     with_host("example.com") { max_age_in_seconds = 60 }
//!     filter(|origin| origin.scheme == "https" && origin.port == 8443)
//! })
//! ```
//! desugars to [`HSTS::configure`]. `with_host` sets the header for requests to one host.
//!
//! # Example
//! ```
//! use oxtor_runtime::plugins::hsts::HSTS;
//!
//! let hsts = HSTS::configure(|cfg| {
//!     cfg.max_age_in_seconds(10);
//!     cfg.include_sub_domains(false);
//!     cfg.custom_directive("redirectHttpToHttps", None);
//! }).unwrap();
//! assert_eq!(hsts.header_value(), "max-age=10; redirectHttpToHttps");
//! ```
use std::{
    collections::HashMap,
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
};

use http::{header, HeaderValue, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::{
    app::Application,
    origin::{RequestOrigin, Requested},
    ConfigError, Plugin,
};

/// Ktor's `DEFAULT_HSTS_MAX_AGE`: 365 days.
pub const DEFAULT_HSTS_MAX_AGE: u64 = 365 * 24 * 3600;

type Filter = Arc<dyn Fn(&RequestOrigin) -> bool + Send + Sync>;

/// The directives of one `Strict-Transport-Security` value (Ktor's `HSTSHostConfig`).
#[derive(Debug, Clone)]
pub struct HstsHostConfig {
    max_age: u64,
    include_sub_domains: bool,
    preload: bool,
    custom: Vec<(String, Option<String>)>,
}

impl Default for HstsHostConfig {
    fn default() -> Self {
        Self {
            max_age: DEFAULT_HSTS_MAX_AGE,
            include_sub_domains: true,
            preload: false,
            custom: Vec::new(),
        }
    }
}

impl HstsHostConfig {
    /// `max-age` (365 days by default).
    pub fn max_age_in_seconds(&mut self, seconds: u64) -> &mut Self {
        self.max_age = seconds;
        self
    }
    /// `includeSubDomains` (on by default).
    pub fn include_sub_domains(&mut self, on: bool) -> &mut Self {
        self.include_sub_domains = on;
        self
    }
    /// `preload` (off by default).
    pub fn preload(&mut self, on: bool) -> &mut Self {
        self.preload = on;
        self
    }
    /// Another directive, with or without a value.
    pub fn custom_directive(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        self.custom
            .push((name.to_owned(), value.map(str::to_owned)));
        self
    }

    fn value(&self) -> String {
        let mut v = format!("max-age={}", self.max_age);
        if self.include_sub_domains {
            v.push_str("; includeSubDomains");
        }
        if self.preload {
            v.push_str("; preload");
        }
        for (name, value) in &self.custom {
            v.push_str("; ");
            v.push_str(&quote(name));
            if let Some(value) = value {
                v.push('=');
                v.push_str(&quote(value));
            }
        }
        v
    }
}

/// A token as is, anything else quoted (Ktor's `escapeIfNeeded`).
fn quote(s: &str) -> String {
    let token = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if token {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The configuration of [`HSTS`]: the default directives, per-host ones and the filter.
pub struct HstsConfig {
    default: HstsHostConfig,
    hosts: Vec<(String, HstsHostConfig)>,
    filter: Option<Filter>,
}

impl fmt::Debug for HstsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HstsConfig")
            .field("default", &self.default)
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

impl HstsConfig {
    /// `max-age` (365 days by default).
    pub fn max_age_in_seconds(&mut self, seconds: u64) -> &mut Self {
        self.default.max_age_in_seconds(seconds);
        self
    }
    /// `includeSubDomains` (on by default).
    pub fn include_sub_domains(&mut self, on: bool) -> &mut Self {
        self.default.include_sub_domains(on);
        self
    }
    /// `preload` (off by default).
    pub fn preload(&mut self, on: bool) -> &mut Self {
        self.default.preload(on);
        self
    }
    /// Another directive, with or without a value.
    pub fn custom_directive(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        self.default.custom_directive(name, value);
        self
    }
    /// Directives for requests to `host` (Ktor's `withHost(host) { }`).
    pub fn with_host(&mut self, host: &str, f: impl FnOnce(&mut HstsHostConfig)) -> &mut Self {
        let mut cfg = HstsHostConfig::default();
        f(&mut cfg);
        self.hosts.push((host.to_ascii_lowercase(), cfg));
        self
    }
    /// Which requests get the header (default: `https` on port 443).
    pub fn filter(
        &mut self,
        f: impl Fn(&RequestOrigin) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.filter = Some(Arc::new(f));
        self
    }
}

struct Settings {
    value: HeaderValue,
    hosts: HashMap<String, HeaderValue>,
    filter: Option<Filter>,
}

impl Settings {
    /// The header for a response to `host`: its own directives, else the default ones.
    fn value_for(&self, host: &str) -> HeaderValue {
        if self.hosts.is_empty() {
            return self.value.clone();
        }
        self.hosts
            .get(&host.to_ascii_lowercase())
            .unwrap_or(&self.value)
            .clone()
    }
}

/// The HSTS plugin (Ktor's name); see the [module docs](crate::plugins::hsts).
#[derive(Clone)]
#[allow(clippy::upper_case_acronyms)]
pub struct HSTS {
    settings: Arc<Settings>,
}

impl fmt::Debug for HSTS {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HSTS")
            .field("value", &self.settings.value)
            .finish_non_exhaustive()
    }
}

impl HSTS {
    /// Configures the plugin; what `install!(HSTS { .. })` desugars to.
    pub fn configure(f: impl FnOnce(&mut HstsConfig)) -> Result<Self, ConfigError> {
        let mut cfg = HstsConfig {
            default: HstsHostConfig::default(),
            hosts: Vec::new(),
            filter: None,
        };
        f(&mut cfg);
        let value = |c: &HstsHostConfig, key: String| {
            HeaderValue::try_from(c.value())
                .map_err(|_| ConfigError::new(key, "not a valid header value"))
        };
        let mut hosts = HashMap::new();
        for (host, c) in &cfg.hosts {
            hosts.insert(host.clone(), value(c, format!("HSTS.with_host.{host}"))?);
        }
        Ok(Self {
            settings: Arc::new(Settings {
                value: value(&cfg.default, "HSTS.custom_directive".to_owned())?,
                hosts,
                filter: cfg.filter,
            }),
        })
    }

    /// The default header value.
    pub fn header_value(&self) -> &str {
        self.settings.value.to_str().unwrap_or_default()
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> HstsLayer {
        HstsLayer {
            settings: self.settings,
        }
    }
}

impl Default for HSTS {
    fn default() -> Self {
        Self::configure(|_| {})
            .unwrap_or_else(|_| unreachable!("the default configuration is valid"))
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for HSTS {
    const NAME: &'static str = "HSTS";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

/// The tower layer of [`HSTS`].
#[derive(Clone)]
pub struct HstsLayer {
    settings: Arc<Settings>,
}

impl fmt::Debug for HstsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HstsLayer").finish_non_exhaustive()
    }
}

impl<S> Layer<S> for HstsLayer {
    type Service = HstsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HstsService {
            inner,
            settings: self.settings.clone(),
        }
    }
}

/// The service of [`HstsLayer`].
#[derive(Clone)]
pub struct HstsService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> fmt::Debug for HstsService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HstsService").finish_non_exhaustive()
    }
}

impl<S, B, ResB> Service<Request<B>> for HstsService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let settings = &self.settings;
        let value = match &settings.filter {
            Some(filter) => {
                let origin = RequestOrigin::of(&req);
                filter(&origin).then(|| settings.value_for(&origin.host))
            }
            // The default reads three fields: borrowed, not a whole origin.
            None => {
                let asked = Requested::of(&req);
                (asked.scheme == "https" && asked.port == 443)
                    .then(|| settings.value_for(asked.host))
            }
        };
        ResponseFuture {
            inner: self.inner.call(req),
            value,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`HstsService`].
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        value: Option<HeaderValue>,
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = ready!(this.inner.poll(cx))?;
        if let Some(value) = this.value.take() {
            crate::headers::insert_header(
                res.headers_mut(),
                header::STRICT_TRANSPORT_SECURITY,
                value,
            );
        }
        Poll::Ready(Ok(res))
    }
}
