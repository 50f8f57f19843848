//! [`ResponseFuture`]: the call of an [`Authenticate`](super::layer::Authenticate) service —
//! the route's own future when authentication decided at once, the answer of a failed
//! authentication, or the whole call when a provider had to wait.
//!
//! # Example
//! ```
//! use oxtor_runtime::plugins::auth::{future::ResponseFuture, ApiKeys, AuthenticateLayer, Authentication};
//! use tower::{Layer, Service};
//!
//! let auth = Authentication::configure(|cfg| {
//!     cfg.api_key("key", |cfg| { cfg.validate(ApiKeys::constant_time(["k"])); });
//! }).unwrap();
//! let inner = tower::service_fn(|_req: axum::extract::Request| async {
//!     Ok::<_, std::convert::Infallible>(axum::response::Response::new(axum::body::Body::empty()))
//! });
//! let mut svc = AuthenticateLayer::new(auth.registry(), "key", false).unwrap().layer(inner);
//! let _future: ResponseFuture<_> = svc.call(axum::extract::Request::new(axum::body::Body::empty()));
//! ```
use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::response::Response;
use futures_util::future::BoxFuture;
use pin_project_lite::pin_project;

use super::{context::AuthCall, layer::finish};

pin_project! {
    /// The response future of [`Authenticate`](super::layer::Authenticate).
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        /// Authenticated at once: the route's future, then the call's headers.
        Route { #[pin] route: F, call: Option<AuthCall> },
        /// Refused (or answered by a fallback) at once.
        Answered { response: Option<Response> },
        /// A provider is waiting: authentication and route in one boxed future.
        Waiting { future: BoxFuture<'static, Response> },
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn route(route: F, call: Option<AuthCall>) -> Self {
        Self {
            state: State::Route { route, call },
        }
    }

    pub(super) fn answered(response: Response) -> Self {
        Self {
            state: State::Answered {
                response: Some(response),
            },
        }
    }

    pub(super) fn waiting(future: BoxFuture<'static, Response>) -> Self {
        Self {
            state: State::Waiting { future },
        }
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Route { .. } => "route",
            State::Answered { .. } => "answered",
            State::Waiting { .. } => "waiting",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Route { route, call } => match route.poll(cx) {
                Poll::Ready(Ok(response)) => Poll::Ready(Ok(finish(response, call.take()))),
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            },
            StateProj::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => panic!("ResponseFuture polled after completion"),
            },
            StateProj::Waiting { future } => future.as_mut().poll(cx).map(Ok),
        }
    }
}
