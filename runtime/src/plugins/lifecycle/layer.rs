//! [`LifecycleLayer`] and its service: the engine's call watch
//! ([`CallWatch`](crate::server::CallWatch)) for a route group, as a tower layer.
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use super::{future::ResponseFuture, CallMetrics};
use crate::server::{CallWatch, WatchedCall};

/// The tower layer behind the `lifecycle` routing block; usable anywhere a tower layer is.
///
/// The first watch on a request's way owns the call — the engine's when the
/// `HttpRequestLifecycle` plugin is installed (it watches every call without a router layer),
/// else the outermost `LifecycleLayer`: it watches the client and cancels the call if the policy
/// is `cancel_call_on_close` when the client goes away. Any later one (closer to the handler,
/// e.g. a `lifecycle(cancel_call_on_close = false) { .. }` block) only sets the policy for its
/// routes. See the [module docs](super).
#[derive(Clone, Debug, Default)]
pub struct LifecycleLayer {
    cancel_call_on_close: bool,
    metrics: CallMetrics,
}

impl LifecycleLayer {
    /// A layer with this policy and fresh metrics.
    pub fn new(cancel_call_on_close: bool) -> Self {
        Self {
            cancel_call_on_close,
            metrics: CallMetrics::new(),
        }
    }

    /// Counts into `metrics` instead.
    #[must_use]
    pub fn metrics(mut self, metrics: CallMetrics) -> Self {
        self.metrics = metrics;
        self
    }
}

impl<S> Layer<S> for LifecycleLayer {
    type Service = LifecycleService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LifecycleService {
            inner,
            cancel_call_on_close: self.cancel_call_on_close,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service of [`LifecycleLayer`].
#[derive(Clone, Debug)]
pub struct LifecycleService<S> {
    inner: S,
    cancel_call_on_close: bool,
    metrics: CallMetrics,
}

impl<S, B, ResBody> Service<Request<B>> for LifecycleService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let watch = CallWatch::begin(&mut req, self.cancel_call_on_close, &self.metrics);
        ResponseFuture::new(WatchedCall::new(self.inner.call(req), watch))
    }
}

#[cfg(test)]
mod tests {
    use std::{convert::Infallible, sync::Arc};

    use tower::ServiceExt;

    use super::*;
    use crate::server::{AbortCall, CallState};

    #[tokio::test]
    async fn outside_oxtor_engine_passes_the_response_through() {
        let svc = LifecycleLayer::new(true).layer(tower::service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new("hi".to_owned()))
        }));
        let res = svc
            .oneshot(Request::new(()))
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(res.body(), "hi");
        assert!(res.extensions().get::<AbortCall>().is_none());
    }

    #[tokio::test]
    async fn inner_layer_sets_the_policy_of_the_outer_call() {
        let inner =
            LifecycleLayer::new(false).layer(tower::service_fn(|req: Request<()>| async move {
                let call = req.extensions().get::<Arc<CallState>>().cloned();
                Ok::<_, Infallible>(Response::new(call.map(|c| c.cancel_on_close())))
            }));
        let svc = LifecycleLayer::new(true).layer(inner);
        let res = svc
            .oneshot(Request::new(()))
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(*res.body(), Some(false));
    }
}
