//! [`ResponseFuture`]: the call of a [`LifecycleService`](super::LifecycleService), watched by
//! the engine's call watch ([`WatchedCall`]).
//!
//! # Example
//! ```
//! use oxtor_runtime::plugins::lifecycle::{future::ResponseFuture, LifecycleLayer};
//! use tower::{Layer, Service};
//!
//! let inner = tower::service_fn(|_req: http::Request<()>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(String::from("hi")))
//! });
//! let mut svc = LifecycleLayer::new(true).layer(inner);
//! let _future: ResponseFuture<_> = svc.call(http::Request::new(()));
//! ```
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::Response;
use pin_project_lite::pin_project;

use crate::server::WatchedCall;

pin_project! {
    /// The response future of [`LifecycleService`](super::LifecycleService).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: WatchedCall<F>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: WatchedCall<F>) -> Self {
        Self { inner }
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx)
    }
}
