//! [`ResponseFuture`]: waits for the inner service, then decides how to send its response.
//!
//! # Example
//! ```
//! use oxtor_runtime::plugins::compression::{future::ResponseFuture, CompressionLayer};
//! use axum::body::Body;
//! use tower::{Layer, Service};
//!
//! let inner = tower::service_fn(|_req: http::Request<Body>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Body::from("hi")))
//! });
//! let mut svc = CompressionLayer::default().layer(inner);
//! let _future: ResponseFuture<_> = svc.call(http::Request::new(Body::empty()));
//! ```
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
};

use axum::body::Body;
use bytes::Bytes;
use http::Response;
use pin_project_lite::pin_project;

use super::{config::Settings, service::Plan};

pin_project! {
    /// The response future of [`CompressionService`](super::CompressionService).
    pub struct ResponseFuture<F> {
        #[pin]
        pub(crate) inner: F,
        pub(crate) plan: Option<Plan>,
        pub(crate) settings: Arc<Settings>,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = ready!(this.inner.poll(cx))?;
        Poll::Ready(Ok(match this.plan.take() {
            Some(plan) => plan.apply(res, this.settings),
            None => res.map(Body::new),
        }))
    }
}
