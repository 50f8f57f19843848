//! [`ResponseFuture`]: waits for the inner service, then decides how to send its response —
//! encoded with the coding negotiated from the request's `Accept-Encoding` (noted in a `Plan`
//! when the request went by) if the response and the user's conditions allow, else as it is.
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
use http::{
    header::{
        ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, VARY,
    },
    HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri,
};
use http_body::Body as HttpBody;
use pin_project_lite::pin_project;

use crate::headers::insert_header;

use super::{
    body::CompressionBody,
    config::{Registered, Settings},
    negotiate,
    predicate::{self, CompressionCall},
    CompressEventStream, SuppressCompression,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project! {
    /// The response future of [`CompressionService`](super::CompressionService): the inner
    /// service's future and, unless the response is to be left alone whatever it is (the
    /// plugin only decodes requests, or the request carries [`SuppressCompression`]), the
    /// plan that decides on it. Without a plan, it only passes the response on.
    pub struct ResponseFuture<F> {
        #[pin]
        pub(crate) inner: F,
        pub(crate) plan: Option<Plan>,
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
            Some(plan) => plan.apply(res),
            None => res.map(Body::new),
        }))
    }
}

/// What the request tells about encoding its response: its `Accept-Encoding` (negotiated only
/// once the response turns out to be compressible) and what user conditions may look at; with
/// the settings that decide.
pub(crate) struct Plan {
    settings: Arc<Settings>,
    accept: AcceptEncoding,
    is_head: bool,
    /// Method, URI and headers, kept only when a user condition may read them.
    request: Option<Box<(Method, Uri, HeaderMap)>>,
}

impl Plan {
    /// The plan for `req`, whose `Accept-Encoding` lines (in order) are `accept`.
    pub(crate) fn new(
        req: &Request<Body>,
        accept: AcceptEncoding,
        settings: &Arc<Settings>,
    ) -> Self {
        Self {
            settings: settings.clone(),
            accept,
            is_head: req.method() == Method::HEAD,
            request: settings.needs_request.then(|| keep_request(req)),
        }
    }

    /// Encodes `res` with the first candidate whose conditions pass, or sends it as is.
    ///
    /// The cheap gates come first, so that a response no coding could take (a 13-byte body
    /// under every `minimum_size`, say) is passed on after a few header look-ups, without
    /// parsing its `Content-Type` or the request's `Accept-Encoding`.
    fn apply<B>(self, res: Response<B>) -> Response<Body>
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let settings = &*self.settings;
        let status = res.status();
        if status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || res.extensions().get::<SuppressCompression>().is_some()
        {
            return res.map(Body::new);
        }
        // The body's own exact length, which axum also wrote as `Content-Length` (a HEAD
        // response's empty body says nothing about GET's: its header decides).
        let exact = if self.is_head {
            None
        } else {
            res.body().size_hint().exact()
        };
        // Too short for every coding (the usual small answer): passed on without reading a
        // header.
        if exact.is_some_and(|len| len < settings.min_length) {
            return res.map(Body::new);
        }
        self.decide(res, exact)
    }

    /// The rest of [`apply`](Self::apply), for a response some coding may take. Out of line:
    /// the gates every small response stops at stay a few cache lines of code on the call's
    /// way, not the whole negotiation.
    #[inline(never)]
    fn decide<B>(self, mut res: Response<B>, exact: Option<u64>) -> Response<Body>
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let settings = &*self.settings;
        let status = res.status();
        let headers = res.headers();
        let Some(found) = ResponseHeaders::find(headers) else {
            return res.map(Body::new);
        };
        let content_length = exact.or_else(|| found.length.and_then(parse_length));
        // Too short for every coding: not negotiable either (no `Vary`).
        if content_length.is_some_and(|len| len < settings.min_length) {
            return res.map(Body::new);
        }
        let essence = found
            .content_type
            .and_then(|v| predicate::essence(v.as_bytes()));
        let is_event_stream = essence.is_some_and(|(kind, subtype)| {
            kind.eq_ignore_ascii_case("text") && subtype.eq_ignore_ascii_case("event-stream")
        });
        if is_event_stream
            && !settings.compress_event_streams
            && res.extensions().get::<CompressEventStream>().is_none()
        {
            return res.map(Body::new);
        }
        let choice = {
            let (method, uri, request_headers) = match &self.request {
                Some(r) => (&r.0, &r.1, &r.2),
                // `/` and no headers.
                None => (&Method::GET, &settings.no_uri, &settings.no_headers),
            };
            let call = CompressionCall {
                method,
                uri,
                request_headers,
                status,
                response_headers: headers,
                content_length,
                essence,
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
            negotiate::parse(self.accept.lines())
                .map(|accepted| negotiate::candidates(&accepted, &settings.encoders))
                .unwrap_or_default()
                .into_iter()
                .find(|&i| settings.encoders.get(i).is_none_or(passes))
        };
        if found.vary {
            merge_vary(res.headers_mut());
        } else {
            // The usual response, without a `Vary`: a plain insert, through the crate's one copy
            // of it, which the engine's `Content-Length` runs as well.
            insert_header(res.headers_mut(), VARY, VARY_VALUE);
        }
        let Some(encoder) = choice.and_then(|i| settings.encoders.get(i)) else {
            return res.map(Body::new);
        };
        if encoder.identity {
            return res.map(Body::new);
        }
        let headers = res.headers_mut();
        headers.remove(CONTENT_LENGTH);
        headers.remove(ACCEPT_RANGES);
        insert_header(headers, CONTENT_ENCODING, encoder.header.clone());
        if let Some(len) = content_length.and_then(|l| encoder.encoder.encoded_length(l)) {
            insert_header(headers, CONTENT_LENGTH, HeaderValue::from(len));
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

/// What a user condition may read of the request: its method, URI and headers, copied. Out of
/// line: without such conditions, the call's way holds none of this code.
#[inline(never)]
fn keep_request(req: &Request<Body>) -> Box<(Method, Uri, HeaderMap)> {
    Box::new((
        req.method().clone(),
        req.uri().clone(),
        req.headers().clone(),
    ))
}

/// The request's `Accept-Encoding` lines, in order (found with its `Content-Encoding` in one
/// pass over the request headers, see [`CompressionService`](super::CompressionService)); no
/// allocation for the usual one line.
#[derive(Default)]
pub(crate) enum AcceptEncoding {
    /// No `Accept-Encoding`.
    #[default]
    None,
    /// One line.
    One(HeaderValue),
    /// Several lines.
    Many(Vec<HeaderValue>),
}

impl AcceptEncoding {
    /// Adds a line.
    pub(crate) fn push(&mut self, value: &HeaderValue) {
        match std::mem::take(self) {
            Self::None => *self = Self::One(value.clone()),
            Self::One(first) => *self = Self::Many(vec![first, value.clone()]),
            Self::Many(mut lines) => {
                lines.push(value.clone());
                *self = Self::Many(lines);
            }
        }
    }

    /// The lines, in order.
    fn lines(&self) -> &[HeaderValue] {
        match self {
            Self::None => &[],
            Self::One(line) => std::slice::from_ref(line),
            Self::Many(lines) => lines,
        }
    }
}

/// The response headers the decision reads, found in one pass: a response has few headers,
/// and comparing standard names is cheaper than hashing one for each look-up.
struct ResponseHeaders<'a> {
    length: Option<&'a HeaderValue>,
    content_type: Option<&'a HeaderValue>,
    /// Whether the response has a `Vary` already.
    vary: bool,
}

impl<'a> ResponseHeaders<'a> {
    /// The first `Content-Length` and `Content-Type`, and whether there is a `Vary`; `None` if a
    /// `Content-Encoding` or a `Content-Range` says the body must be left alone.
    fn find(headers: &'a HeaderMap) -> Option<Self> {
        let mut found = Self {
            length: None,
            content_type: None,
            vary: false,
        };
        for (name, value) in headers {
            if name == CONTENT_TYPE {
                found.content_type.get_or_insert(value);
            } else if name == CONTENT_LENGTH {
                found.length.get_or_insert(value);
            } else if name == VARY {
                found.vary = true;
            } else if name == CONTENT_ENCODING || name == CONTENT_RANGE {
                return None;
            }
        }
        Some(found)
    }
}

/// A `Content-Length` value: digits, with optional surrounding spaces or tabs (RFC 9110's
/// `1*DIGIT` in an OWS-trimmed field); anything else (or an overflow) is `None`. App-wide layers
/// run outside axum's routing, which has set the header from the body's length by then: this is
/// on every response's way.
fn parse_length(value: &HeaderValue) -> Option<u64> {
    let digits = value.as_bytes().trim_ascii();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The `Vary` value a negotiable response gets.
const VARY_VALUE: HeaderValue = HeaderValue::from_static("Accept-Encoding");

/// Adds `Accept-Encoding` to a response's `Vary` lines unless it is there already (or
/// `Vary: *`). Out of line: most responses have no `Vary` and get one with a plain `insert`.
#[inline(never)]
fn merge_vary(headers: &mut HeaderMap) {
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
        headers.append(VARY, VARY_VALUE);
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
        insert_header(headers, ETAG, weak);
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::parse_length;

    #[test]
    fn content_length_is_digits_with_optional_surrounding_whitespace() {
        let parse = |v: &'static str| parse_length(&HeaderValue::from_static(v));
        assert_eq!(parse("13"), Some(13));
        assert_eq!(parse(" 0\t"), Some(0));
        assert_eq!(parse("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            " ",
            "+13",
            "-1",
            "1 3",
            "0x10",
            "18446744073709551616",
            "١٣",
        ] {
            let value = HeaderValue::from_bytes(bad.as_bytes()).expect("a header value");
            assert_eq!(parse_length(&value), None, "{bad:?}");
        }
    }
}
