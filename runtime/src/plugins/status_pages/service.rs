//! [`StatusPagesLayer`] and its service: tower-http's `CatchPanic` inside, the mapping of
//! errors and statuses around it.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
};

use axum::{body::Body, response::Response};
use http::{header, Request};
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, ResponseForPanic};
use tower_layer::Layer;
use tower_service::Service;

use super::{guarded, panicked, plain_500, Handled, Handlers, StatusCall};
use crate::exception::CallError;

/// tower-http `ResponseForPanic` of `StatusPages`: a panic becomes the [`CallError`] default
/// response of [`HandlerPanicked`](crate::exception::HandlerPanicked) (500, empty body).
#[derive(Debug, Clone, Copy, Default)]
pub struct PanicToError;

impl ResponseForPanic for PanicToError {
    type ResponseBody = Body;

    fn response_for_panic(
        &mut self,
        err: Box<dyn std::any::Any + Send + 'static>,
    ) -> http::Response<Body> {
        panicked(&*err).default_response()
    }
}

/// The tower layer behind [`StatusPages`](super::StatusPages), usable on its own around a route
/// group (`routing! { layer(l) { .. } }`). See the [module docs](crate::plugins::status_pages).
#[derive(Clone)]
pub struct StatusPagesLayer {
    handlers: Arc<Handlers>,
}

impl std::fmt::Debug for StatusPagesLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPagesLayer").finish_non_exhaustive()
    }
}

impl StatusPagesLayer {
    pub(crate) fn new(handlers: Arc<Handlers>) -> Self {
        Self { handlers }
    }
}

impl Default for StatusPagesLayer {
    fn default() -> Self {
        super::StatusPages::default().into_layer()
    }
}

impl<S> Layer<S> for StatusPagesLayer {
    type Service = StatusPagesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        StatusPagesService {
            inner: CatchPanicLayer::custom(PanicToError).layer(inner),
            handlers: self.handlers.clone(),
        }
    }
}

/// The service of [`StatusPagesLayer`].
#[derive(Clone)]
pub struct StatusPagesService<S> {
    inner: CatchPanic<S, PanicToError>,
    handlers: Arc<Handlers>,
}

impl<S> std::fmt::Debug for StatusPagesService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPagesService").finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for StatusPagesService<S>
where
    CatchPanic<S, PanicToError>: Service<
        Request<B>,
        Response = http::Response<
            tower_http::body::UnsyncBoxBody<bytes::Bytes, tower_http::BoxError>,
        >,
    >,
{
    type Response = Response;
    type Error = <CatchPanic<S, PanicToError> as Service<Request<B>>>::Error;
    type Future = ResponseFuture<<CatchPanic<S, PanicToError> as Service<Request<B>>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let (call, req) = if self.handlers.is_empty() {
            (None, req)
        } else {
            let (parts, body) = req.into_parts();
            let call = StatusCall::from_parts(&parts);
            (Some(call), Request::from_parts(parts, body))
        };
        ResponseFuture {
            inner: self.inner.call(req),
            call,
            handlers: self.handlers.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`StatusPagesService`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<StatusCall>,
        handlers: Arc<Handlers>,
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, E> Future for ResponseFuture<F>
where
    F: Future<
        Output = Result<
            http::Response<tower_http::body::UnsyncBoxBody<bytes::Bytes, tower_http::BoxError>>,
            E,
        >,
    >,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let res = ready!(this.inner.poll(cx))?.map(Body::new);
        Poll::Ready(Ok(match this.call.take() {
            Some(call) => map_response(this.handlers, &call, res),
            None => res,
        }))
    }
}

fn map_response(handlers: &Handlers, call: &StatusCall, res: Response) -> Response {
    if res.extensions().get::<Handled>().is_some() {
        return res;
    }
    if let Some(mut mapped) = exception(handlers, call, &res) {
        mapped.extensions_mut().insert(Handled);
        return mapped;
    }
    let Some(handler) = handlers.status(res.status()) else {
        return res;
    };
    let status = res.status();
    let mut new = guarded(|| handler(call, status)).unwrap_or_else(plain_500);
    if new.extensions().get::<Handled>().is_none() {
        if let Some(mapped) = exception(handlers, call, &new) {
            new = mapped;
        }
    }
    let (parts, _) = res.into_parts();
    let kept: Vec<_> = parts
        .headers
        .keys()
        .filter(|name| {
            let content =
                name.as_str().starts_with("content-") || *name == header::TRANSFER_ENCODING;
            !content && !new.headers().contains_key(*name)
        })
        .cloned()
        .collect();
    for name in kept {
        for value in parts.headers.get_all(&name) {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    new.extensions_mut().insert(Handled);
    new
}

fn exception(handlers: &Handlers, call: &StatusCall, res: &Response) -> Option<Response> {
    let err = res.extensions().get::<CallError>()?;
    handlers.exception(call, err)
}
