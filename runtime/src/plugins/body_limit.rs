//! The `RequestBodyLimit` plugin: Ktor's `RequestBodyLimit`. A request whose `Content-Length`
//! exceeds the limit is answered `413` with Ktor's message (`Request is larger than the limit
//! of N bytes`) before the handler runs; a body without a length is cut off at the limit, and
//! the handler's body extractor answers 413 (it is `http_body_util::Limited`, as in tower-http's
//! `RequestBodyLimitLayer`, with a limit per call).
//!
//! ```text
//! install!(RequestBodyLimit { body_limit(|req| if req.uri.path() == "/upload" { u64::MAX } else { 1024 }) })
//! install!(RequestBodyLimit { limit = 1024 })
//! ```
//! desugars to [`RequestBodyLimit::configure`]. With no limit configured (Ktor's default,
//! `Long.MAX_VALUE`) nothing is checked.
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::body_limit::RequestBodyLimit, testing::TestApplication, Application};
//! use axum::{body::Body, routing::post, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(RequestBodyLimit::configure(|cfg| { cfg.limit(4); }))?;
//! app.routing(Router::new().route("/", post(|body: String| async move { body })))?;
//! let server = TestApplication::start(app).await?;
//! let res = server.send(http::Request::post("/").body(Body::from("too long")).unwrap()).await?;
//! assert_eq!(res.status(), 413);
//! assert_eq!(res.text()?, "Request is larger than the limit of 4 bytes");
//! # Ok(()) }
//! ```
use std::{
    fmt,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{
    body::Body,
    response::{IntoResponse, Response},
};
use futures_util::future::{Either, Ready};
use http::{header, request::Parts, Request};
use tower_layer::Layer;
use tower_service::Service;

use crate::{
    app::Application,
    exception::{CallError, PayloadTooLargeException},
    ConfigError, Plugin,
};

type LimitFn = Arc<dyn Fn(&Parts) -> u64 + Send + Sync>;

/// The configuration of [`RequestBodyLimit`].
#[derive(Default)]
pub struct RequestBodyLimitConfig {
    limit: Option<LimitFn>,
}

impl fmt::Debug for RequestBodyLimitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBodyLimitConfig")
            .finish_non_exhaustive()
    }
}

impl RequestBodyLimitConfig {
    /// The limit for each call, in bytes (Ktor's `bodyLimit { call -> }`); `u64::MAX` means
    /// none.
    pub fn body_limit(&mut self, f: impl Fn(&Parts) -> u64 + Send + Sync + 'static) -> &mut Self {
        self.limit = Some(Arc::new(f));
        self
    }

    /// One limit for every call, in bytes.
    pub fn limit(&mut self, bytes: u64) -> &mut Self {
        self.body_limit(move |_| bytes)
    }
}

/// The request-body-limit plugin; see the [module docs](crate::plugins::body_limit).
#[derive(Clone)]
pub struct RequestBodyLimit {
    limit: Option<LimitFn>,
}

impl fmt::Debug for RequestBodyLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBodyLimit").finish_non_exhaustive()
    }
}

impl RequestBodyLimit {
    /// Configures the plugin; what `install!(RequestBodyLimit { .. })` desugars to.
    pub fn configure(f: impl FnOnce(&mut RequestBodyLimitConfig)) -> Result<Self, ConfigError> {
        let mut cfg = RequestBodyLimitConfig::default();
        f(&mut cfg);
        Ok(Self { limit: cfg.limit })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> RequestBodyLimitLayer {
        RequestBodyLimitLayer { limit: self.limit }
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for RequestBodyLimit {
    const NAME: &'static str = "RequestBodyLimit";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

/// The tower layer of [`RequestBodyLimit`].
#[derive(Clone)]
pub struct RequestBodyLimitLayer {
    limit: Option<LimitFn>,
}

impl fmt::Debug for RequestBodyLimitLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBodyLimitLayer")
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for RequestBodyLimitLayer {
    type Service = RequestBodyLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestBodyLimitService {
            inner,
            limit: self.limit.clone(),
        }
    }
}

/// The service of [`RequestBodyLimitLayer`].
#[derive(Clone)]
pub struct RequestBodyLimitService<S> {
    inner: S,
    limit: Option<LimitFn>,
}

impl<S> fmt::Debug for RequestBodyLimitService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBodyLimitService")
            .finish_non_exhaustive()
    }
}

impl<S> Service<Request<Body>> for RequestBodyLimitService<S>
where
    S: Service<Request<Body>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<S::Future, Ready<Result<Response, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let Some(limit_fn) = &self.limit else {
            return Either::Left(self.inner.call(req));
        };
        let (parts, body) = req.into_parts();
        let limit = limit_fn(&parts);
        if limit == u64::MAX {
            return Either::Left(self.inner.call(Request::from_parts(parts, body)));
        }
        let length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if length.is_some_and(|n| n > limit) {
            let res = CallError::new(PayloadTooLargeException::new(limit)).into_response();
            return Either::Right(futures_util::future::ready(Ok(res)));
        }
        let limited = usize::try_from(limit).unwrap_or(usize::MAX);
        let body = Body::new(http_body_util::Limited::new(body, limited));
        Either::Left(self.inner.call(Request::from_parts(parts, body)))
    }
}
