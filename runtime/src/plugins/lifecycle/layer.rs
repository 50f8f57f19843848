//! [`LifecycleLayer`] and its service: watches the engine's [`ClientDisconnect`] while a call
//! runs and, if the call's policy says so, cancels it.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use http::{Method, Request, Response, Uri};
use pin_project_lite::pin_project;
use tokio_util::sync::WaitForCancellationFutureOwned;
use tower_layer::Layer;
use tower_service::Service;

use super::{call::CallLifecycle, metrics::LifecycleMetrics};
use crate::server::{AbortCall, ClientDisconnect};

/// The tower layer behind the `lifecycle` routing block; usable anywhere a tower layer is.
///
/// The first lifecycle on a request's way owns the call — the engine's when the
/// `HttpRequestLifecycle` plugin is installed (it watches every call without a router layer),
/// else the outermost `LifecycleLayer`: it watches the client and cancels the call if the policy
/// is `cancel_call_on_close` when the client goes away. Any later one (closer to the handler,
/// e.g. a `lifecycle(cancel_call_on_close = false) { .. }` block) only sets the policy for its
/// routes. See the [module docs](super).
#[derive(Clone, Debug, Default)]
pub struct LifecycleLayer {
    cancel_call_on_close: bool,
    metrics: LifecycleMetrics,
}

impl LifecycleLayer {
    /// A layer with this policy and fresh metrics.
    pub fn new(cancel_call_on_close: bool) -> Self {
        Self {
            cancel_call_on_close,
            metrics: LifecycleMetrics::new(),
        }
    }

    /// Counts into `metrics` instead.
    #[must_use]
    pub fn metrics(mut self, metrics: LifecycleMetrics) -> Self {
        self.metrics = metrics;
        self
    }
}

impl<S> Layer<S> for LifecycleLayer {
    type Service = Lifecycle<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Lifecycle {
            inner,
            cancel_call_on_close: self.cancel_call_on_close,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service of [`LifecycleLayer`].
#[derive(Clone, Debug)]
pub struct Lifecycle<S> {
    inner: S,
    cancel_call_on_close: bool,
    metrics: LifecycleMetrics,
}

impl<S, B, ResBody> Service<Request<B>> for Lifecycle<S>
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
        let watch = begin(&mut req, self.cancel_call_on_close, &self.metrics);
        ResponseFuture::new(self.inner.call(req), watch)
    }
}

/// [`begin`] for the engine, the first on every request's way: no look-ups.
pub(crate) fn begin_engine_call<B>(
    req: &mut Request<B>,
    disconnect: ClientDisconnect,
    cancel_call_on_close: bool,
    metrics: &LifecycleMetrics,
) -> Watch {
    let call = Arc::new(CallLifecycle::new(cancel_call_on_close, Some(disconnect)));
    req.extensions_mut().insert(call.clone());
    Watch {
        gone: None,
        call,
        metrics: metrics.clone(),
        log: CallLog::new(req),
        disconnected: false,
    }
}

/// Takes charge of a call before its request goes in: if another lifecycle (the engine's, or an
/// outer layer) owns the call, sets its policy and returns `None`; otherwise creates the call's
/// lifecycle and returns what [`ResponseFuture`] needs to watch it (`None` if no engine tells
/// about the client).
pub(crate) fn begin<B>(
    req: &mut Request<B>,
    cancel_call_on_close: bool,
    metrics: &LifecycleMetrics,
) -> Option<Watch> {
    if let Some(call) = req.extensions().get::<Arc<CallLifecycle>>() {
        call.set_cancel_on_close(cancel_call_on_close);
        return None;
    }
    let disconnect = req.extensions().get::<ClientDisconnect>().cloned();
    let watched = disconnect.is_some();
    let call = Arc::new(CallLifecycle::new(cancel_call_on_close, disconnect));
    req.extensions_mut().insert(call.clone());
    watched.then(|| Watch {
        gone: None,
        call,
        metrics: metrics.clone(),
        log: CallLog::new(req),
        disconnected: false,
    })
}

/// What the debug log of a call whose client went away says; only kept while `debug` is on.
pub(crate) struct CallLog {
    started: Instant,
    method: Method,
    uri: Uri,
}

impl CallLog {
    fn new<B>(req: &Request<B>) -> Option<Self> {
        tracing::enabled!(tracing::Level::DEBUG).then(|| Self {
            started: Instant::now(),
            method: req.method().clone(),
            uri: req.uri().clone(),
        })
    }
}

/// What a watched call keeps for when its client goes away.
pub(crate) struct Watch {
    /// Made when the call first waits: a call done in one poll never watches its client.
    gone: Option<Pin<Box<WaitForCancellationFutureOwned>>>,
    call: Arc<CallLifecycle>,
    metrics: LifecycleMetrics,
    log: Option<CallLog>,
    disconnected: bool,
}

pin_project! {
    /// The response future of [`Lifecycle`].
    pub struct ResponseFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    #[project_replace = StateReplace]
    enum State<F> {
        Passthrough { #[pin] fut: F },
        Watching {
            #[pin] fut: F,
            watch: Watch,
        },
        Done,
    }
}

impl<F> ResponseFuture<F> {
    /// `fut`, watched if `watch` is given (see [`begin`]).
    pub(crate) fn new(fut: F, watch: Option<Watch>) -> Self {
        let state = match watch {
            Some(watch) => State::Watching { fut, watch },
            None => State::Passthrough { fut },
        };
        Self { state }
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.project().state;
        let (mut fut, watch) = match state.as_mut().project() {
            StateProj::Passthrough { fut } => return fut.poll(cx),
            StateProj::Watching { fut, watch } => (fut, watch),
            StateProj::Done => return Poll::Ready(Ok(aborted())),
        };
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            if watch.disconnected {
                watch.metrics.record_finished_without_client();
                if let Some(log) = &watch.log {
                    tracing::debug!(
                        method = %log.method,
                        uri = %log.uri,
                        latency_ms = log.started.elapsed().as_secs_f64() * 1e3,
                        "call finished after its client went away; response discarded"
                    );
                }
            }
            state.project_replace(State::Done);
            return Poll::Ready(out);
        }
        if watch.disconnected {
            return Poll::Pending;
        }
        let gone = match (&mut watch.gone, &watch.call.disconnect) {
            (Some(gone), _) => gone,
            (gone @ None, Some(d)) => gone.insert(Box::pin(d.wait_owned())),
            (None, None) => return Poll::Pending,
        };
        if gone.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        watch.disconnected = true;
        if !watch.call.cancel_on_close() {
            return Poll::Pending;
        }
        // Cancel: tell the handler, give it one poll to run a `select!` branch on its
        // cancellation, then drop it (its `Drop` guards run).
        watch.call.cancel();
        let _ = fut.poll(cx);
        watch.metrics.record_cancelled();
        if let Some(log) = &watch.log {
            tracing::debug!(
                method = %log.method,
                uri = %log.uri,
                latency_ms = log.started.elapsed().as_secs_f64() * 1e3,
                "call cancelled: its client went away"
            );
        }
        state.project_replace(State::Done);
        Poll::Ready(Ok(aborted()))
    }
}

/// The response of a cancelled call: the engine drops the call instead of sending it.
fn aborted<B: Default>() -> Response<B> {
    let mut res = Response::new(B::default());
    res.extensions_mut().insert(AbortCall);
    res
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::ServiceExt;

    use super::*;

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
                let call = req.extensions().get::<Arc<CallLifecycle>>().cloned();
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
