//! [`CompressionService`]: has the request body decoded ([`request`](super::request)) before the
//! inner service sees it, and plans how its response will be encoded (negotiation happens on the
//! request's headers).
use std::{
    sync::Arc,
    task::{Context, Poll},
};

use axum::body::Body;
use bytes::Bytes;
use http::{
    header::{
        ACCEPT_ENCODING, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
        CONTENT_TYPE, ETAG, VARY,
    },
    HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri,
};
use http_body::Body as HttpBody;
use tower_service::Service;

use super::{
    body::CompressionBody,
    config::{Registered, Settings},
    future::ResponseFuture,
    negotiate,
    predicate::{self, CompressionCall},
    request, CompressEventStream, SuppressCompression, SuppressDecompression,
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

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let settings = &self.settings;
        let req = if settings.mode.request()
            && req.headers().contains_key(CONTENT_ENCODING)
            && req.extensions().get::<SuppressDecompression>().is_none()
        {
            request::decode(req, settings)
        } else {
            req.map(Body::new)
        };
        let plan = (settings.mode.response()
            && req.extensions().get::<SuppressCompression>().is_none())
        .then(|| Plan::new(&req, settings));
        ResponseFuture {
            inner: self.inner.call(req),
            plan,
            settings: settings.clone(),
        }
    }
}

/// What the request tells about encoding its response: its `Accept-Encoding` (negotiated only
/// once the response turns out to be compressible) and what user conditions may look at.
pub(crate) struct Plan {
    accept: Option<HeaderValue>,
    accept_more: Vec<HeaderValue>,
    is_head: bool,
    /// Method, URI and headers, kept only when a user condition may read them.
    request: Option<Box<(Method, Uri, HeaderMap)>>,
}

impl Plan {
    fn new(req: &Request<Body>, settings: &Settings) -> Self {
        let mut values = req.headers().get_all(ACCEPT_ENCODING).iter().cloned();
        let accept = values.next();
        let accept_more = values.collect();
        Self {
            accept,
            accept_more,
            is_head: req.method() == Method::HEAD,
            request: settings.needs_request.then(|| {
                Box::new((
                    req.method().clone(),
                    req.uri().clone(),
                    req.headers().clone(),
                ))
            }),
        }
    }

    /// Encodes `res` with the first candidate whose conditions pass, or sends it as is.
    pub(crate) fn apply<B>(self, mut res: Response<B>, settings: &Settings) -> Response<Body>
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let status = res.status();
        if status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || res.extensions().get::<SuppressCompression>().is_some()
            || res.headers().contains_key(CONTENT_ENCODING)
            || res.headers().contains_key(CONTENT_RANGE)
        {
            return res.map(Body::new);
        }
        let content_type = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let is_event_stream =
            content_type
                .and_then(predicate::essence)
                .is_some_and(|(kind, subtype)| {
                    kind.eq_ignore_ascii_case("text")
                        && subtype.eq_ignore_ascii_case("event-stream")
                });
        if is_event_stream
            && !settings.compress_event_streams
            && res.extensions().get::<CompressEventStream>().is_none()
        {
            return res.map(Body::new);
        }
        let content_length = res
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            // A HEAD response's empty body says nothing about GET's.
            .or_else(|| {
                (!self.is_head)
                    .then(|| res.body().size_hint().exact())
                    .flatten()
            });
        let choice = {
            let no_request;
            let (method, uri, request_headers) = match &self.request {
                Some(r) => (&r.0, &r.1, &r.2),
                None => {
                    no_request = (Uri::default(), HeaderMap::new());
                    (&Method::GET, &no_request.0, &no_request.1)
                }
            };
            let call = CompressionCall {
                method,
                uri,
                request_headers,
                status,
                response_headers: res.headers(),
                content_length,
                essence: content_type.and_then(predicate::essence),
            };
            // The default conditions are shared: evaluate them at most once.
            let defaults = std::cell::OnceCell::new();
            let passes = |e: &Registered| {
                if e.default_conditions {
                    *defaults.get_or_init(|| settings.defaults.check(&call))
                } else {
                    e.conditions.check(&call)
                }
            };
            // Only a response some coding could be chosen for depends on Accept-Encoding.
            if !settings.conditions.check(&call) || !settings.encoders.iter().any(passes) {
                return res.map(Body::new);
            }
            negotiate::parse(self.accept.iter().chain(&self.accept_more))
                .map(|accepted| negotiate::candidates(&accepted, &settings.encoders))
                .unwrap_or_default()
                .into_iter()
                .find(|&i| settings.encoders.get(i).is_none_or(passes))
        };
        add_vary(res.headers_mut());
        let Some(encoder) = choice.and_then(|i| settings.encoders.get(i)) else {
            return res.map(Body::new);
        };
        if encoder.identity {
            return res.map(Body::new);
        }
        let headers = res.headers_mut();
        headers.remove(CONTENT_LENGTH);
        headers.remove(ACCEPT_RANGES);
        headers.insert(CONTENT_ENCODING, encoder.header.clone());
        if let Some(len) = content_length.and_then(|l| encoder.encoder.encoded_length(l)) {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
        }
        weaken_etag(headers);
        if self.is_head {
            // The headers GET would get (RFC 9110 §9.3.2) and no body; one of unknown size, so
            // that axum does not put back the identity length as `Content-Length`.
            return res.map(|_| {
                Body::from_stream(futures_util::stream::empty::<Result<Bytes, BoxError>>())
            });
        }
        let stream = encoder
            .encoder
            .encoder_for_length(encoder.level, content_length);
        res.map(|b| Body::new(CompressionBody::new(b, stream)))
    }
}

/// Adds `Accept-Encoding` to `Vary` unless it is there already (or `Vary: *`).
fn add_vary(headers: &mut HeaderMap) {
    let present = headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            let v = v.trim();
            v == "*" || v.eq_ignore_ascii_case("accept-encoding")
        });
    if !present {
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

/// A compressed body is another representation: a strong `ETag` becomes weak (as nginx does),
/// so a strong comparison never matches bytes it does not describe.
fn weaken_etag(headers: &mut HeaderMap) {
    let weak = headers
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with('"'))
        .and_then(|v| HeaderValue::from_str(&format!("W/{v}")).ok());
    if let Some(weak) = weak {
        headers.insert(ETAG, weak);
    }
}
