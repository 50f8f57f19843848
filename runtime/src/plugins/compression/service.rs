//! [`CompressionService`]: has the request body decoded ([`request`](super::request)) before the
//! inner service sees it, and notes what the request says about encoding its response
//! ([`Plan`]); the response future ([`future`](super::future)) decides.
use std::{
    sync::Arc,
    task::{Context, Poll},
};

use axum::body::Body;
use bytes::Bytes;
use http::{
    header::{ACCEPT_ENCODING, CONTENT_ENCODING},
    Request, Response,
};
use http_body::Body as HttpBody;
use tower_service::Service;

use super::{
    config::Settings,
    future::{AcceptEncoding, Plan, ResponseFuture},
    request, SuppressCompression, SuppressDecompression,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service [`CompressionLayer`](super::CompressionLayer) wraps around another.
///
/// See the [module docs](crate::plugins::compression).
#[derive(Debug, Clone)]
pub struct CompressionService<S> {
    pub(crate) inner: S,
    pub(crate) settings: Arc<Settings>,
}

impl<S> CompressionService<S> {
    /// Wraps `inner` with the default configuration (see [`Compression::default`]).
    ///
    /// [`Compression::default`]: super::Compression
    pub fn new(inner: S) -> Self {
        tower_layer::Layer::layer(&super::CompressionLayer::default(), inner)
    }

    /// A [`CompressionLayer`](super::CompressionLayer) with the default configuration.
    pub fn layer() -> super::CompressionLayer {
        super::CompressionLayer::default()
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for CompressionService<S>
where
    S: Service<Request<Body>, Response = Response<ResB>>,
    ReqB: HttpBody<Data = Bytes> + Send + 'static,
    ReqB::Error: Into<BoxError>,
    ResB: HttpBody<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let settings = &self.settings;
        // One pass over the request headers for both codings.
        let mut encoded = false;
        let mut accept = AcceptEncoding::default();
        for (name, value) in req.headers() {
            if name == ACCEPT_ENCODING {
                accept.push(value);
            } else if name == CONTENT_ENCODING {
                encoded = true;
            }
        }
        let req = if encoded
            && settings.mode.request()
            && req.extensions().get::<SuppressDecompression>().is_none()
        {
            request::decode(req, settings)
        } else {
            req.map(Body::new)
        };
        let plan = (settings.mode.response()
            && req.extensions().get::<SuppressCompression>().is_none())
        .then(|| Plan::new(&req, accept, settings));
        ResponseFuture {
            inner: self.inner.call(req),
            plan,
        }
    }
}
