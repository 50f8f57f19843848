//! The `CORS` plugin: Ktor's `CORS`, with Ktor's answers. A request with an `Origin` that is
//! not allowed, a preflight asking for a method or header that is not allowed, an actual
//! request with a method that is not allowed, or (unless allowed) a non-simple `Content-Type`
//! is answered `403 Forbidden`; an allowed preflight (`OPTIONS`) is answered `200 OK` with
//! `Access-Control-Allow-Origin`, `-Methods` (the default `GET, HEAD, POST` plus the configured
//! ones, sorted), `-Headers`, `-Credentials` and `-Max-Age`; an allowed actual request gets
//! `Access-Control-Allow-Origin`, `-Credentials` and `-Expose-Headers`. A request without an
//! `Origin`, with a malformed one, or from the server's own origin passes untouched.
//! `Vary: Origin` is added unless any host is allowed without credentials.
//!
//! ```text
//! install!(CORS {
//!     allow_host("example.com", schemes = ["https"], sub_domains = ["api"])
//!     allow_method(Method::PUT)
//!     allow_header("X-Token")
//!     allow_credentials = true
//!     max_age_in_seconds = 3600
//! })
//! ```
//! desugars to [`CORS::configure`] with one [`CorsConfig`] method per line; `allow_host`'s
//! keyed arguments are setters on the [`HostRule`] it returns. Host patterns are checked when
//! the plugin is configured (`CORS.allow_host: wildcard must appear in front of the domain,
//! e.g. *.domain.com`).
//!
//! tower-http's `CorsLayer` never rejects a request (it only adds headers), so Ktor's 403
//! answers need a layer of their own; the benchmark compares the two.
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::cors::CORS, testing::TestApplication, Application};
//! use axum::{body::Body, routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(CORS::configure(|cfg| {
//!     cfg.allow_host("example.com");
//!     cfg.allow_header("X-Token");
//! }))?;
//! app.routing(Router::new().route("/", get(|| async { "hi" })))?;
//! let server = TestApplication::start(app).await?;
//!
//! let preflight = http::Request::options("/")
//!     .header("origin", "https://example.com")
//!     .header("access-control-request-method", "GET")
//!     .header("access-control-request-headers", "x-token")
//!     .body(Body::empty()).unwrap();
//! let res = server.send(preflight).await?;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.header("access-control-allow-origin"), Some("https://example.com"));
//! assert_eq!(res.header("access-control-allow-methods"), Some("GET, HEAD, POST"));
//! assert_eq!(res.header("access-control-allow-headers"), Some("X-Token"));
//!
//! let other = http::Request::get("/").header("origin", "https://evil.com").body(Body::empty()).unwrap();
//! assert_eq!(server.send(other).await?.status(), 403);
//! # Ok(()) }
//! ```
use std::{collections::HashSet, fmt, sync::Arc, time::Duration};

use http::{HeaderName, HeaderValue, Method};

use crate::{app::Application, ConfigError, Plugin};

mod origin;
mod service;

#[doc(inline)]
pub use self::service::{CorsLayer, CorsService, ResponseFuture};

type Predicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Request headers a CORS request may always send (Ktor's `CorsSimpleRequestHeaders`).
const SIMPLE_REQUEST_HEADERS: [&str; 4] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
];
/// Response headers a browser always exposes (Ktor's `CorsSimpleResponseHeaders`).
const SIMPLE_RESPONSE_HEADERS: [&str; 6] = [
    "cache-control",
    "content-language",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
];
/// Content types a simple request may carry (Ktor's `CorsSimpleContentTypes`).
const SIMPLE_CONTENT_TYPES: [&str; 3] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
];
/// Ktor's `CORS_DEFAULT_MAX_AGE`: one day.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// One `allow_host(..)`: the host, and the schemes and subdomains it is allowed with. Its
/// methods are `allow_host`'s keyed arguments.
#[derive(Debug, Clone)]
pub struct HostRule {
    host: String,
    schemes: Vec<String>,
    sub_domains: Vec<String>,
}

impl HostRule {
    /// The schemes (`["http", "https"]` by default).
    pub fn schemes<I: IntoIterator<Item = S>, S: Into<String>>(&mut self, schemes: I) -> &mut Self {
        self.schemes = schemes.into_iter().map(Into::into).collect();
        self
    }

    /// Subdomains allowed too (`["api"]` allows `api.<host>`; `*` stands for any).
    pub fn sub_domains<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        subs: I,
    ) -> &mut Self {
        self.sub_domains = subs.into_iter().map(Into::into).collect();
        self
    }
}

/// The configuration of [`CORS`]. Built by `install!(CORS { .. })` or [`CORS::configure`].
pub struct CorsConfig {
    any_host: bool,
    hosts: Vec<HostRule>,
    origin_predicates: Vec<Predicate>,
    headers: Vec<String>,
    header_predicates: Vec<Predicate>,
    methods: Vec<Method>,
    exposed: Vec<String>,
    allow_credentials: bool,
    allow_same_origin: bool,
    allow_non_simple_content_types: bool,
    max_age: Duration,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for CorsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CorsConfig")
            .field("any_host", &self.any_host)
            .field("hosts", &self.hosts)
            .field("headers", &self.headers)
            .field("methods", &self.methods)
            .field("allow_credentials", &self.allow_credentials)
            .finish_non_exhaustive()
    }
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            any_host: false,
            hosts: Vec::new(),
            origin_predicates: Vec::new(),
            headers: Vec::new(),
            header_predicates: Vec::new(),
            methods: Vec::new(),
            exposed: Vec::new(),
            allow_credentials: false,
            allow_same_origin: true,
            allow_non_simple_content_types: false,
            max_age: DEFAULT_MAX_AGE,
            errors: Vec::new(),
        }
    }
}

impl CorsConfig {
    /// Allows every origin (Ktor's `anyHost()`).
    pub fn any_host(&mut self) -> &mut Self {
        self.any_host = true;
        self
    }

    /// Allows `host` (`example.com`, `example.com:8080`, `*.example.com`) over `http` and
    /// `https`; `schemes = [..]` and `sub_domains = [..]` narrow or widen it. `"*"` is
    /// [`any_host`](Self::any_host).
    pub fn allow_host(&mut self, host: &str) -> &mut HostRule {
        if host == "*" {
            self.any_host = true;
        }
        self.hosts.push(HostRule {
            host: host.to_owned(),
            schemes: vec!["http".to_owned(), "https".to_owned()],
            sub_domains: Vec::new(),
        });
        let last = self.hosts.len() - 1;
        &mut self.hosts[last]
    }

    /// Allows origins `predicate` accepts (Ktor's `allowOrigins { }`).
    pub fn allow_origins(
        &mut self,
        predicate: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.origin_predicates.push(Arc::new(predicate));
        self
    }

    /// Allows a request header. `Content-Type` allows non-simple content types, as in Ktor.
    pub fn allow_header(&mut self, name: &str) -> &mut Self {
        if HeaderName::try_from(name).is_err() {
            self.errors.push(ConfigError::new(
                "CORS.allow_header",
                format!("`{name}` is not a valid header name"),
            ));
        } else if name.eq_ignore_ascii_case("content-type") {
            self.allow_non_simple_content_types = true;
        } else if !SIMPLE_REQUEST_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            self.headers.push(name.to_owned());
        }
        self
    }

    /// Allows request headers `predicate` accepts (it sees the lowercase name).
    pub fn allow_headers(
        &mut self,
        predicate: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.header_predicates.push(Arc::new(predicate));
        self
    }

    /// Allows request headers starting with `prefix` (case-insensitive).
    pub fn allow_headers_prefixed(&mut self, prefix: &str) -> &mut Self {
        let prefix = prefix.to_ascii_lowercase();
        self.allow_headers(move |name| name.starts_with(&prefix))
    }

    /// Allows `X-Http-Method-Override`.
    pub fn allow_x_http_method_override(&mut self) -> &mut Self {
        self.allow_header("X-Http-Method-Override")
    }

    /// Allows a method besides the default `GET`, `HEAD` and `POST`.
    pub fn allow_method(&mut self, method: Method) -> &mut Self {
        if !self.methods.contains(&method) {
            self.methods.push(method);
        }
        self
    }

    /// Allows every standard method (Ktor's `anyMethod()`).
    pub fn any_method(&mut self) -> &mut Self {
        for m in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
        ] {
            self.allow_method(m);
        }
        self
    }

    /// Lets the browser expose a response header (simple ones always are).
    pub fn expose_header(&mut self, name: &str) -> &mut Self {
        if HeaderName::try_from(name).is_err() {
            self.errors.push(ConfigError::new(
                "CORS.expose_header",
                format!("`{name}` is not a valid header name"),
            ));
        } else if !SIMPLE_RESPONSE_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            self.exposed.push(name.to_owned());
        }
        self
    }

    /// Sends `Access-Control-Allow-Credentials: true` (and the origin itself, never `*`).
    pub fn allow_credentials(&mut self, allow: bool) -> &mut Self {
        self.allow_credentials = allow;
        self
    }

    /// Lets requests from the server's own origin pass untouched (`true` by default).
    pub fn allow_same_origin(&mut self, allow: bool) -> &mut Self {
        self.allow_same_origin = allow;
        self
    }

    /// Allows any `Content-Type` (by default only the simple ones).
    pub fn allow_non_simple_content_types(&mut self, allow: bool) -> &mut Self {
        self.allow_non_simple_content_types = allow;
        self
    }

    /// How long a browser may cache a preflight answer (one day by default; zero sends no
    /// `Access-Control-Max-Age`).
    pub fn max_age(&mut self, max_age: Duration) -> &mut Self {
        self.max_age = max_age;
        self
    }

    /// [`max_age`](Self::max_age) in seconds, as Ktor's `maxAgeInSeconds`.
    pub fn max_age_in_seconds(&mut self, seconds: u64) -> &mut Self {
        self.max_age(Duration::from_secs(seconds))
    }
}

/// Ktor's rule: one `*.` at the front of the domain part.
fn check_wildcard(host: &str) -> Result<(), String> {
    if !host.contains('*') {
        return Ok(());
    }
    let at = host.find("*.");
    let front = at.is_some_and(|i| !host.ends_with("*.") && (i == 0 || host[..i].ends_with("://")));
    if !front {
        return Err("wildcard must appear in front of the domain, e.g. *.domain.com".to_owned());
    }
    if host.matches("*.").count() != 1 || host.matches('*').count() != 1 {
        return Err("wildcard cannot appear more than once".to_owned());
    }
    Ok(())
}

pub(crate) struct Settings {
    pub(crate) any_host: bool,
    pub(crate) hosts: HashSet<String>,
    pub(crate) wildcards: Vec<(String, String)>,
    pub(crate) origin_predicates: Vec<Predicate>,
    pub(crate) header_predicates: Vec<Predicate>,
    /// Every allowed request header, lowercase, simple ones included.
    pub(crate) all_headers: HashSet<String>,
    /// The configured non-simple headers, for `Access-Control-Allow-Headers`.
    pub(crate) headers_list: Vec<String>,
    pub(crate) methods: Vec<Method>,
    pub(crate) methods_value: HeaderValue,
    pub(crate) exposed_value: Option<HeaderValue>,
    pub(crate) max_age_value: Option<HeaderValue>,
    pub(crate) allow_credentials: bool,
    pub(crate) allow_same_origin: bool,
    pub(crate) allow_non_simple_content_types: bool,
}

impl Settings {
    fn new(mut cfg: CorsConfig) -> Result<Self, ConfigError> {
        let mut hosts = HashSet::new();
        let mut wildcards = Vec::new();
        for rule in &cfg.hosts {
            if rule.host == "*" {
                continue;
            }
            if rule.host.contains("://") {
                return Err(ConfigError::new(
                    "CORS.allow_host",
                    format!(
                        "`{}`: scheme should be specified as a separate parameter schemes",
                        rule.host
                    ),
                ));
            }
            for scheme in &rule.schemes {
                let mut all = vec![format!("{scheme}://{}", rule.host)];
                all.extend(
                    rule.sub_domains
                        .iter()
                        .map(|s| format!("{scheme}://{s}.{}", rule.host)),
                );
                for host in all {
                    check_wildcard(&host).map_err(|m| ConfigError::new("CORS.allow_host", m))?;
                    let normalized = origin::normalize(&host);
                    match normalized.split_once('*') {
                        Some((prefix, suffix)) => {
                            wildcards.push((prefix.to_owned(), suffix.to_owned()))
                        }
                        None => {
                            hosts.insert(normalized);
                        }
                    }
                }
            }
        }
        if let Some(e) = cfg.errors.drain(..).next() {
            return Err(e);
        }
        let mut methods = vec![Method::GET, Method::POST, Method::HEAD];
        for m in cfg.methods {
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        let mut names: Vec<&str> = methods.iter().map(Method::as_str).collect();
        names.sort_unstable();
        let mut headers_list = cfg.headers.clone();
        if cfg.allow_non_simple_content_types {
            headers_list.push("Content-Type".to_owned());
        }
        let mut all_headers: HashSet<String> =
            cfg.headers.iter().map(|h| h.to_ascii_lowercase()).collect();
        all_headers.extend(SIMPLE_REQUEST_HEADERS.iter().map(|h| (*h).to_owned()));
        if !cfg.allow_non_simple_content_types {
            all_headers.remove("content-type");
        }
        let mut exposed = cfg.exposed;
        exposed.sort();
        let value = |s: String, key: &str| {
            HeaderValue::try_from(s)
                .map_err(|_| ConfigError::new(format!("CORS.{key}"), "not a valid header value"))
        };
        Ok(Self {
            any_host: cfg.any_host,
            hosts,
            wildcards,
            origin_predicates: cfg.origin_predicates,
            header_predicates: cfg.header_predicates,
            all_headers,
            headers_list,
            methods_value: value(names.join(", "), "allow_method")?,
            methods,
            exposed_value: if exposed.is_empty() {
                None
            } else {
                Some(value(exposed.join(", "), "expose_header")?)
            },
            max_age_value: (cfg.max_age.as_secs() > 0)
                .then(|| HeaderValue::from(cfg.max_age.as_secs())),
            allow_credentials: cfg.allow_credentials,
            allow_same_origin: cfg.allow_same_origin,
            allow_non_simple_content_types: cfg.allow_non_simple_content_types,
        })
    }
}

/// The CORS plugin (Ktor's name); see the [module docs](crate::plugins::cors).
#[derive(Clone)]
#[allow(clippy::upper_case_acronyms)]
pub struct CORS {
    settings: Arc<Settings>,
}

impl fmt::Debug for CORS {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CORS").finish_non_exhaustive()
    }
}

impl CORS {
    /// Configures the plugin; what `install!(CORS { .. })` desugars to. Fails with the first
    /// rejected value, its key in the message.
    pub fn configure(f: impl FnOnce(&mut CorsConfig)) -> Result<Self, ConfigError> {
        let mut cfg = CorsConfig::default();
        f(&mut cfg);
        Ok(Self {
            settings: Arc::new(Settings::new(cfg)?),
        })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> CorsLayer {
        CorsLayer::new(self.settings)
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for CORS {
    const NAME: &'static str = "CORS";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misplaced_wildcard_names_the_key() {
        let err = CORS::configure(|cfg| {
            cfg.allow_host("example.*.com");
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "CORS.allow_host: wildcard must appear in front of the domain, e.g. *.domain.com"
        );
        let err = CORS::configure(|cfg| {
            cfg.allow_host("https://example.com");
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("scheme should be specified"),
            "{err}"
        );
    }
}
