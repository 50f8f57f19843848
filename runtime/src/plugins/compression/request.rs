//! Request decoding: the codings of `Content-Encoding` undone as the handler reads the body, and
//! [`SuppressDecompression`] as a handler's extractor, which keeps the body encoded.
//!
//! Decoding starts at the body's first read, so a handler that takes `SuppressDecompression`
//! (extracted before any body extractor) gets the encoded bytes and the original
//! `Content-Encoding` and `Content-Length`.
use std::{
    convert::Infallible,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll},
};

use axum::body::Body;
use bytes::Bytes;
use http::{
    header::{CONTENT_ENCODING, CONTENT_LENGTH},
    request::Parts,
    HeaderValue, Request,
};
use http_body::{Body as HttpBody, Frame, SizeHint};

use super::{
    body::DecodingBody, codec::DecodeStream, config::Settings, AppliedDecoders,
    SuppressDecompression,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How many codings (`identity` included) one request body may have undone. Each layer costs a
/// decoder, its buffer and one more nested poll, so a peer listing `gzip` 50 000 times in one
/// header would otherwise allocate gigabytes and overflow the stack; real clients send one.
pub(crate) const MAX_REQUEST_CODINGS: usize = 4;

/// Decodes the codings listed in `Content-Encoding`, outermost (last listed) first, as RFC 9110
/// defines the order. Decoding stops at the first coding not registered; the header keeps the
/// codings left. The decoded body is capped at `max_decoded_size`. More than
/// [`MAX_REQUEST_CODINGS`] layers to undo make the body an error the handler's extractor answers
/// with 400, and nothing is decoded.
#[inline(never)]
pub(crate) fn decode<B>(req: Request<B>, settings: &Settings) -> Request<Body>
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let (mut parts, body) = req.into_parts();
    let mut codings: Vec<String> = parts
        .headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .map(|c| if c == "x-gzip" { "gzip".to_owned() } else { c })
        .collect();
    let mut decoders = Vec::new();
    let mut applied = Vec::new();
    while let Some(coding) = codings.last() {
        if applied.len() == MAX_REQUEST_CODINGS {
            parts.headers.remove(CONTENT_LENGTH);
            let error = std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("too many content codings (more than {MAX_REQUEST_CODINGS})"),
            );
            let body = Body::from_stream(futures_util::stream::iter([Err::<Bytes, _>(error)]));
            parts.extensions.insert(AppliedDecoders(Vec::new()));
            return Request::from_parts(parts, body);
        }
        if coding == "identity" {
            applied.push("identity".to_owned());
            codings.pop();
            continue;
        }
        let decoder = settings
            .encoders
            .iter()
            .find(|e| e.name == *coding)
            .and_then(|e| e.encoder.decoder());
        let Some(decoder) = decoder else { break };
        decoders.push(decoder);
        applied.push(coding.clone());
        codings.pop();
    }
    let body = Body::new(body);
    if applied.is_empty() {
        parts.extensions.insert(AppliedDecoders(applied));
        return Request::from_parts(parts, body);
    }
    let original = KeepEncoded {
        switch: Arc::default(),
        content_encoding: parts
            .headers
            .get_all(CONTENT_ENCODING)
            .iter()
            .cloned()
            .collect(),
        content_length: parts.headers.get(CONTENT_LENGTH).cloned(),
    };
    parts.headers.remove(CONTENT_ENCODING);
    if !codings.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&codings.join(", ")) {
            parts.headers.insert(CONTENT_ENCODING, v);
        }
    }
    let body = if decoders.is_empty() {
        // Only `identity`: nothing to undo.
        body
    } else {
        parts.headers.remove(CONTENT_LENGTH);
        let (lazy, switch) = LazyDecode::new(body, decoders, settings.max_decoded_size);
        parts.extensions.insert(KeepEncoded { switch, ..original });
        Body::new(lazy)
    };
    parts.extensions.insert(AppliedDecoders(applied));
    Request::from_parts(parts, body)
}

/// What a handler's [`SuppressDecompression`] restores, in the request's extensions while its
/// body is to be decoded.
#[derive(Clone, Debug)]
struct KeepEncoded {
    /// Set by the extractor: the body is passed on encoded.
    switch: Arc<AtomicBool>,
    content_encoding: Vec<HeaderValue>,
    content_length: Option<HeaderValue>,
}

/// A handler's way to keep its request body encoded: take `SuppressDecompression` as an
/// argument (before the body extractor, as axum requires anyway). The body then arrives as sent,
/// with its `Content-Encoding` and `Content-Length`, and [`AppliedDecoders`] is empty.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SuppressDecompression {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        if let Some(keep) = parts.extensions.remove::<KeepEncoded>() {
            keep.switch.store(true, Ordering::Release);
            parts.headers.remove(CONTENT_ENCODING);
            for v in keep.content_encoding {
                parts.headers.append(CONTENT_ENCODING, v);
            }
            if let Some(len) = keep.content_length {
                parts.headers.insert(CONTENT_LENGTH, len);
            }
            parts.extensions.insert(AppliedDecoders(Vec::new()));
        }
        Ok(Self)
    }
}

/// A request body decoded from its first read on, unless a handler asked for it encoded.
struct LazyDecode {
    /// Until the first read: the raw body and what decodes it.
    pending: Option<Pending>,
    /// From the first read on: the body read (a placeholder before).
    reading: Body,
    keep_encoded: Arc<AtomicBool>,
}

struct Pending {
    raw: Body,
    decoders: Vec<Box<dyn DecodeStream>>,
    limit: usize,
}

impl LazyDecode {
    fn new(
        raw: Body,
        decoders: Vec<Box<dyn DecodeStream>>,
        limit: usize,
    ) -> (Self, Arc<AtomicBool>) {
        let keep_encoded = Arc::new(AtomicBool::new(false));
        let body = Self {
            pending: Some(Pending {
                raw,
                decoders,
                limit,
            }),
            reading: Body::empty(),
            keep_encoded: keep_encoded.clone(),
        };
        (body, keep_encoded)
    }
}

impl HttpBody for LazyDecode {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(Pending {
            raw,
            decoders,
            limit,
        }) = this.pending.take()
        {
            this.reading = if this.keep_encoded.load(Ordering::Acquire) {
                raw
            } else {
                let decoded = decoders
                    .into_iter()
                    .fold(raw, |body, d| Body::new(DecodingBody::new(body, d)));
                Body::new(http_body_util::Limited::new(decoded, limit))
            };
        }
        // The reading body's own error (e.g. the length limit's), not wrapped once more, so
        // that axum's extractors recognise it (413).
        Pin::new(&mut this.reading)
            .poll_frame(cx)
            .map_err(axum::Error::into_inner)
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_none() && self.reading.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        match &self.pending {
            None => self.reading.size_hint(),
            Some(p) if self.keep_encoded.load(Ordering::Acquire) => p.raw.size_hint(),
            Some(_) => SizeHint::default(),
        }
    }
}
