//! The `DefaultHeaders` plugin: Ktor's `DefaultHeaders`. Every response gets the configured
//! headers, `Date` and `Server: oxtor/<version>`, unless the handler set that header itself.
//!
//! ```text
//! install!(DefaultHeaders { header("X-Engine", "oxtor")  header("X-Frame-Options", "DENY") })
//! ```
//! desugars to [`DefaultHeaders::configure`] with one [`DefaultHeadersConfig::header`] call per
//! line. A header configured twice is sent with both values. `Date` is formatted once a second
//! per thread (Ktor caches it for a second too). `server("name")` replaces the `Server` value.
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::default_headers::DefaultHeaders, testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(DefaultHeaders::configure(|cfg| {
//!     cfg.header("X-Engine", "oxtor");
//! }))?;
//! app.routing(Router::new().route("/", get(|| async { ([("x-engine", "mine")], "hi") })))?;
//! let server = TestApplication::start(app).await?;
//! let res = server.get("/").await?;
//! assert_eq!(res.header("x-engine"), Some("mine")); // the handler's value wins
//! assert!(res.header("server").unwrap().starts_with("oxtor/"));
//! assert!(res.header("date").is_some());
//!
//! let err = DefaultHeaders::configure(|cfg| { cfg.header("bad name", "x"); }).unwrap_err();
//! assert_eq!(err.to_string(), "DefaultHeaders.header: `bad name` is not a valid header name");
//! # Ok(()) }
//! ```
use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use http::{header, HeaderName, HeaderValue, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::{app::Application, headers::insert_header, ConfigError, Plugin};

#[derive(Debug)]
struct Settings {
    headers: Vec<(HeaderName, Vec<HeaderValue>)>,
    server: HeaderValue,
}

/// The configuration of [`DefaultHeaders`]. Built by `install!(DefaultHeaders { .. })`.
#[derive(Debug)]
pub struct DefaultHeadersConfig {
    headers: Vec<(HeaderName, Vec<HeaderValue>)>,
    server: HeaderValue,
    errors: Vec<ConfigError>,
}

impl Default for DefaultHeadersConfig {
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            server: HeaderValue::from_static(concat!("oxtor/", env!("CARGO_PKG_VERSION"))),
            errors: Vec::new(),
        }
    }
}

impl DefaultHeadersConfig {
    /// Adds `name: value` to responses that have no `name` header (Ktor's `header(name, value)`).
    pub fn header(&mut self, name: &str, value: &str) -> &mut Self {
        let Ok(name) = HeaderName::try_from(name) else {
            self.errors.push(ConfigError::new(
                "DefaultHeaders.header",
                format!("`{name}` is not a valid header name"),
            ));
            return self;
        };
        let Ok(value) = HeaderValue::try_from(value) else {
            self.errors.push(ConfigError::new(
                format!("DefaultHeaders.header.{name}"),
                format!("`{value}` is not a valid header value"),
            ));
            return self;
        };
        if name == header::SERVER {
            self.server = value;
        } else if let Some((_, values)) = self.headers.iter_mut().find(|(n, _)| *n == name) {
            values.push(value);
        } else {
            self.headers.push((name, vec![value]));
        }
        self
    }

    /// The `Server` header's value (`oxtor/<version>` by default).
    pub fn server(&mut self, value: &str) -> &mut Self {
        self.header("server", value)
    }
}

/// The default-headers plugin; see the [module docs](crate::plugins::default_headers).
#[derive(Debug, Clone)]
pub struct DefaultHeaders {
    settings: Arc<Settings>,
}

impl DefaultHeaders {
    /// Configures the plugin; what `install!(DefaultHeaders { .. })` desugars to.
    pub fn configure(f: impl FnOnce(&mut DefaultHeadersConfig)) -> Result<Self, ConfigError> {
        let mut cfg = DefaultHeadersConfig::default();
        f(&mut cfg);
        if let Some(e) = cfg.errors.into_iter().next() {
            return Err(e);
        }
        Ok(Self {
            settings: Arc::new(Settings {
                headers: cfg.headers,
                server: cfg.server,
            }),
        })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> DefaultHeadersLayer {
        DefaultHeadersLayer {
            settings: self.settings,
        }
    }
}

impl Default for DefaultHeaders {
    /// `Date` and `Server` only.
    fn default() -> Self {
        Self::configure(|_| {}).unwrap_or_else(|_| unreachable!("the empty configuration is valid"))
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for DefaultHeaders {
    const NAME: &'static str = "DefaultHeaders";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

/// The tower layer of [`DefaultHeaders`].
#[derive(Debug, Clone)]
pub struct DefaultHeadersLayer {
    settings: Arc<Settings>,
}

impl<S> Layer<S> for DefaultHeadersLayer {
    type Service = DefaultHeadersService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DefaultHeadersService {
            inner,
            settings: self.settings.clone(),
        }
    }
}

/// The service of [`DefaultHeadersLayer`].
#[derive(Debug, Clone)]
pub struct DefaultHeadersService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S, B, ResB> Service<Request<B>> for DefaultHeadersService<S>
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
        ResponseFuture {
            inner: self.inner.call(req),
            settings: self.settings.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`DefaultHeadersService`].
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        settings: Arc<Settings>,
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
        let headers = res.headers_mut();
        for (name, values) in &this.settings.headers {
            if !headers.contains_key(name) {
                for value in values {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        if !headers.contains_key(header::DATE) {
            insert_header(headers, header::DATE, http_date());
        }
        if !headers.contains_key(header::SERVER) {
            insert_header(headers, header::SERVER, this.settings.server.clone());
        }
        Poll::Ready(Ok(res))
    }
}

/// The current time as an HTTP date, formatted at most once a second per thread.
fn http_date() -> HeaderValue {
    thread_local! {
        static CACHE: RefCell<(u64, Option<HeaderValue>)> = const { RefCell::new((0, None)) };
    }
    let now = SystemTime::now();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        match &cache.1 {
            Some(value) if cache.0 == secs => value.clone(),
            _ => {
                let value = HeaderValue::try_from(httpdate::fmt_http_date(now))
                    .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
                *cache = (secs, Some(value.clone()));
                value
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn date_is_an_http_date() {
        let date = super::http_date();
        let parsed = httpdate::parse_http_date(date.to_str().unwrap()).unwrap();
        let age = std::time::SystemTime::now().duration_since(parsed).unwrap();
        assert!(age.as_secs() <= 1);
    }
}
