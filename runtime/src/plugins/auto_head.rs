//! The `AutoHeadResponse` plugin: Ktor's `AutoHeadResponse`. A `HEAD` request is routed as a
//! `GET` — so any route or service that answers `GET` answers `HEAD` too — and its response
//! keeps its status and headers (with the body's length as `Content-Length` when known) but
//! loses its body, which is dropped unread.
//!
//! ```text
//! install!(AutoHeadResponse {})
//! ```
//! axum's `get(..)` routes already answer `HEAD`, and hyper never sends a body to `HEAD`; the
//! plugin extends that to every route (`route_service`, `any`, `on(MethodFilter::GET, ..)`,
//! fallbacks) and stops a streaming body from being produced at all.
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::auto_head::AutoHeadResponse, testing::TestApplication, Application};
//! use axum::{body::Body, routing::{on, MethodFilter}, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(AutoHeadResponse)?;
//! app.routing(Router::new().route("/", on(MethodFilter::GET, || async { "Hello" })))?;
//! let server = TestApplication::start(app).await?;
//! let res = server.send(http::Request::head("/").body(Body::empty()).unwrap()).await?;
//! assert_eq!((res.status().as_u16(), res.body().len()), (200, 0));
//! assert_eq!(res.header("content-length"), Some("5"));
//! # Ok(()) }
//! ```
use std::{
    future::Future,
    pin::Pin,
    task::{ready, Context, Poll},
};

use http::{header, HeaderValue, Method, Request, Response};
use http_body::Body as HttpBody;
use tower_layer::Layer;
use tower_service::Service;

use crate::{app::Application, ConfigError, Plugin};

/// The auto-HEAD plugin; it has no settings. See the [module docs](crate::plugins::auto_head).
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoHeadResponse;

/// The (empty) configuration of [`AutoHeadResponse`].
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct AutoHeadResponseConfig {}

impl AutoHeadResponse {
    /// What `install!(AutoHeadResponse {})` desugars to.
    pub fn configure(f: impl FnOnce(&mut AutoHeadResponseConfig)) -> Result<Self, ConfigError> {
        f(&mut AutoHeadResponseConfig::default());
        Ok(Self)
    }

    /// The plugin as a tower layer.
    pub fn into_layer(self) -> AutoHeadResponseLayer {
        AutoHeadResponseLayer
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for AutoHeadResponse {
    const NAME: &'static str = "AutoHeadResponse";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

/// The tower layer of [`AutoHeadResponse`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AutoHeadResponseLayer;

impl<S> Layer<S> for AutoHeadResponseLayer {
    type Service = AutoHeadResponseService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AutoHeadResponseService { inner }
    }
}

/// The service of [`AutoHeadResponseLayer`].
#[derive(Debug, Clone)]
pub struct AutoHeadResponseService<S> {
    inner: S,
}

impl<S, B, ResB> Service<Request<B>> for AutoHeadResponseService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: HttpBody + Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let head = req.method() == Method::HEAD;
        if head {
            *req.method_mut() = Method::GET;
        }
        ResponseFuture {
            inner: self.inner.call(req),
            head,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`AutoHeadResponseService`].
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        head: bool,
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: HttpBody + Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = ready!(this.inner.poll(cx))?;
        if !*this.head {
            return Poll::Ready(Ok(res));
        }
        let (mut parts, body) = res.into_parts();
        if let Some(len) = body.size_hint().exact() {
            if !parts.headers.contains_key(header::CONTENT_LENGTH) {
                crate::headers::insert_header(
                    &mut parts.headers,
                    header::CONTENT_LENGTH,
                    HeaderValue::from(len),
                );
            }
        }
        Poll::Ready(Ok(Response::from_parts(parts, ResB::default())))
    }
}
