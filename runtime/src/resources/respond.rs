//! Answering a request for one resource: content coding (a precompressed variant when the
//! client accepts it), conditional requests (`If-None-Match`, `If-Modified-Since` → 304), and
//! single byte ranges (206, 416; `If-Range`).
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    body::Body,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use http::{
    header::{
        ACCEPT_ENCODING, ACCEPT_RANGES, CONTENT_ENCODING, CONTENT_RANGE, CONTENT_TYPE, ETAG,
        IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE, VARY,
    },
    HeaderMap, HeaderValue, StatusCode,
};

use super::{media_type::content_type, EmbeddedFile};

/// A resource that was found: embedded in the binary, or read from disk in a debug build with
/// `OXTOR_RESOURCES_DIR` set. See the [module docs](crate::resources).
///
/// As a response it is the whole file, `200 OK`, with `Content-Type`, `ETag` and
/// `Last-Modified`; [`respond_to`](Self::respond_to) also honours the request's
/// `Accept-Encoding`, conditional and `Range` headers.
#[derive(Clone)]
pub struct Resource {
    inner: Inner,
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Embedded(file) => f.debug_tuple("Resource").field(file).finish(),
            Inner::Live { path, bytes, .. } => f
                .debug_struct("Resource")
                .field("path", path)
                .field("len", &bytes.len())
                .field("live", &true)
                .finish(),
        }
    }
}

#[derive(Clone)]
enum Inner {
    Embedded(&'static EmbeddedFile),
    Live {
        path: String,
        bytes: Bytes,
        etag: String,
        modified: SystemTime,
    },
}

/// One representation of a resource: its bytes, coding and validator.
struct Representation {
    body: Bytes,
    coding: Option<&'static str>,
    etag: HeaderValue,
}

impl Resource {
    pub(crate) fn embedded(file: &'static EmbeddedFile) -> Self {
        Self {
            inner: Inner::Embedded(file),
        }
    }

    pub(crate) fn live(path: String, bytes: Vec<u8>, modified: SystemTime) -> Self {
        // Edits within one second keep the length and the time: the ETag hashes the content.
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hasher::write(&mut hasher, &bytes);
        let etag = format!("\"{:016x}\"", std::hash::Hasher::finish(&hasher));
        Self {
            inner: Inner::Live {
                path,
                bytes: Bytes::from(bytes),
                etag,
                modified,
            },
        }
    }

    /// The resource's path inside its folder (`public/index.html`).
    pub fn path(&self) -> &str {
        match &self.inner {
            Inner::Embedded(file) => file.path,
            Inner::Live { path, .. } => path,
        }
    }

    /// The uncompressed content.
    pub fn bytes(&self) -> Bytes {
        match &self.inner {
            Inner::Embedded(file) => Bytes::from_static(file.bytes),
            Inner::Live { bytes, .. } => bytes.clone(),
        }
    }

    /// When the file was last modified (build time for embedded files), whole seconds.
    pub fn modified(&self) -> SystemTime {
        match &self.inner {
            Inner::Embedded(file) => UNIX_EPOCH + Duration::from_secs(file.modified),
            Inner::Live { modified, .. } => *modified,
        }
    }

    /// The `Content-Type`, from the file extension (Ktor's table).
    pub fn content_type(&self) -> HeaderValue {
        match content_type(self.path()) {
            std::borrow::Cow::Borrowed(s) => HeaderValue::from_static(s),
            std::borrow::Cow::Owned(s) => HeaderValue::try_from(s)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        }
    }

    fn has_variants(&self) -> bool {
        matches!(&self.inner, Inner::Embedded(f) if f.zstd.is_some() || f.br.is_some())
    }

    fn identity(&self) -> Representation {
        match &self.inner {
            Inner::Embedded(file) => Representation {
                body: Bytes::from_static(file.bytes),
                coding: None,
                etag: HeaderValue::from_static(file.etag),
            },
            Inner::Live { bytes, etag, .. } => Representation {
                body: bytes.clone(),
                coding: None,
                etag: HeaderValue::try_from(etag.as_str())
                    .unwrap_or(HeaderValue::from_static("\"live\"")),
            },
        }
    }

    /// The representation for `accept` (`Accept-Encoding` values): a precompressed variant the
    /// client accepts (zstd first on a tie), else identity.
    fn select(&self, headers: &HeaderMap) -> Representation {
        let Inner::Embedded(file) = &self.inner else {
            return self.identity();
        };
        let q = AcceptEncoding::parse(headers);
        let mut best: Option<(f32, Representation)> = None;
        let variants = [
            ("zstd", file.zstd, file.etag_zstd),
            ("br", file.br, file.etag_br),
        ];
        for (coding, bytes, etag) in variants {
            let (Some(bytes), qv) = (bytes, q.quality(coding)) else {
                continue;
            };
            if qv > 0.0 && best.as_ref().is_none_or(|(b, _)| qv > *b) {
                let rep = Representation {
                    body: Bytes::from_static(bytes),
                    coding: Some(coding),
                    etag: HeaderValue::from_static(etag),
                };
                best = Some((qv, rep));
            }
        }
        match best {
            Some((qv, rep)) if qv >= q.identity() => rep,
            _ => self.identity(),
        }
    }

    /// Answers a request with `headers` (method GET or HEAD): the representation its
    /// `Accept-Encoding` prefers (with `Vary: Accept-Encoding` when there is a choice and a
    /// distinct `ETag` per coding), `304 Not Modified` when its `If-None-Match` (or, without
    /// one, `If-Modified-Since`) matches, `206 Partial Content` for a single satisfiable byte
    /// range of the uncompressed file (`416` when unsatisfiable; several ranges get the whole
    /// file, `200`).
    pub fn respond_to(&self, headers: &HeaderMap) -> Response {
        let range = headers.get(RANGE);
        let rep = if range.is_some() {
            self.identity()
        } else {
            self.select(headers)
        };
        let modified = self.modified();
        let last_modified = HeaderValue::try_from(httpdate::fmt_http_date(modified))
            .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"));
        let mut out = HeaderMap::new();
        out.insert(ETAG, rep.etag.clone());
        out.insert(LAST_MODIFIED, last_modified.clone());
        if self.has_variants() {
            out.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        if not_modified(headers, &rep.etag, modified) {
            return (StatusCode::NOT_MODIFIED, out).into_response();
        }
        out.insert(CONTENT_TYPE, self.content_type());
        out.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        if let Some(coding) = rep.coding {
            out.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
        }
        let len = rep.body.len() as u64;
        if let Some(range) = range.filter(|_| if_range_holds(headers, &rep.etag, &last_modified)) {
            match parse_range(range, len) {
                RangeRequest::Single(start, end) => {
                    out.insert(
                        CONTENT_RANGE,
                        content_range(&format!("bytes {start}-{end}/{len}")),
                    );
                    // `start <= end < len` fits in usize: it indexes `body`.
                    let body = rep.body.slice(start as usize..=end as usize);
                    return (StatusCode::PARTIAL_CONTENT, out, Body::from(body)).into_response();
                }
                RangeRequest::Unsatisfiable => {
                    out.remove(CONTENT_TYPE);
                    out.insert(CONTENT_RANGE, content_range(&format!("bytes */{len}")));
                    return (StatusCode::RANGE_NOT_SATISFIABLE, out).into_response();
                }
                RangeRequest::Whole => {}
            }
        }
        (StatusCode::OK, out, Body::from(rep.body)).into_response()
    }
}

fn content_range(value: &str) -> HeaderValue {
    HeaderValue::try_from(value).unwrap_or(HeaderValue::from_static("bytes */0"))
}

/// The whole file, `200 OK`, with `Content-Type`, `ETag` and `Last-Modified`, uncompressed
/// (no request to negotiate with; see [`Resource::respond_to`]).
impl IntoResponse for Resource {
    fn into_response(self) -> Response {
        let mut res = self.respond_to(&HeaderMap::new());
        res.headers_mut().remove(VARY);
        res
    }
}

/// q-values of `Accept-Encoding`.
struct AcceptEncoding<'a> {
    entries: Vec<(&'a str, f32)>,
}

impl<'a> AcceptEncoding<'a> {
    fn parse(headers: &'a HeaderMap) -> Self {
        let mut entries = Vec::new();
        for value in headers.get_all(ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let coding = parts.next().unwrap_or("").trim();
                if coding.is_empty() {
                    continue;
                }
                let mut q = Some(1.0);
                for param in parts {
                    if let Some((k, v)) = param.split_once('=') {
                        if k.trim().eq_ignore_ascii_case("q") {
                            q = v
                                .trim()
                                .parse::<f32>()
                                .ok()
                                .filter(|q| (0.0..=1.0).contains(q));
                        }
                    }
                }
                if let Some(q) = q {
                    entries.push((coding, q));
                }
            }
        }
        Self { entries }
    }

    fn explicit(&self, coding: &str) -> Option<f32> {
        self.entries
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(coding))
            .map(|&(_, q)| q)
    }

    /// The client's q-value for `coding` (explicit, else `*`, else not acceptable).
    fn quality(&self, coding: &str) -> f32 {
        self.explicit(coding)
            .or_else(|| self.explicit("*"))
            .unwrap_or(0.0)
    }

    /// Identity's q-value; unlisted, it is acceptable but least preferred.
    fn identity(&self) -> f32 {
        self.explicit("identity").unwrap_or(0.0)
    }
}

/// Whether a GET/HEAD with these headers gets `304`: `If-None-Match` (weak comparison, `*`)
/// decides when present, else `If-Modified-Since`.
fn not_modified(headers: &HeaderMap, etag: &HeaderValue, modified: SystemTime) -> bool {
    let etag = opaque(etag.as_bytes());
    let mut inm = headers.get_all(IF_NONE_MATCH).iter().peekable();
    if inm.peek().is_some() {
        return inm.any(|v| {
            v.as_bytes()
                .split(|&b| b == b',')
                .map(|t| t.trim_ascii())
                .any(|t| t == b"*" || opaque(t) == etag)
        });
    }
    let since = headers
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    since.is_some_and(|since| modified <= since)
}

/// An entity tag without its weakness marker.
fn opaque(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

/// Whether a `Range` applies: no `If-Range`, or one that strongly matches the ETag or equals
/// `Last-Modified`.
fn if_range_holds(headers: &HeaderMap, etag: &HeaderValue, last_modified: &HeaderValue) -> bool {
    match headers.get(IF_RANGE) {
        None => true,
        Some(v) if v.as_bytes().starts_with(b"W/") => false,
        Some(v) if v.as_bytes().starts_with(b"\"") => v == etag,
        Some(v) => v == last_modified,
    }
}

enum RangeRequest {
    Single(u64, u64),
    Unsatisfiable,
    /// Absent, malformed, several ranges or another unit: send the whole file.
    Whole,
}

/// Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against a length of `len`.
fn parse_range(value: &HeaderValue, len: u64) -> RangeRequest {
    let Some(spec) = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    let (start, end) = match (first.is_empty(), last.is_empty()) {
        (true, false) => match parse(last) {
            Some(0) => return RangeRequest::Unsatisfiable,
            Some(n) => (len.saturating_sub(n), len.saturating_sub(1)),
            None => return RangeRequest::Whole,
        },
        (false, _) => match (
            parse(first),
            if last.is_empty() {
                Some(u64::MAX)
            } else {
                parse(last)
            },
        ) {
            (Some(a), Some(b)) if a <= b => (a, b.min(len.saturating_sub(1))),
            _ => return RangeRequest::Whole,
        },
        (true, true) => return RangeRequest::Whole,
    };
    if len == 0 || start >= len {
        RangeRequest::Unsatisfiable
    } else {
        RangeRequest::Single(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &'static str, len: u64) -> Option<(u64, u64)> {
        match parse_range(&HeaderValue::from_static(v), len) {
            RangeRequest::Single(a, b) => Some((a, b)),
            RangeRequest::Unsatisfiable => Some((u64::MAX, u64::MAX)),
            RangeRequest::Whole => None,
        }
    }

    #[test]
    fn byte_ranges() {
        assert_eq!(range("bytes=0-4", 10), Some((0, 4)));
        assert_eq!(range("bytes=5-", 10), Some((5, 9)));
        assert_eq!(range("bytes=-3", 10), Some((7, 9)));
        assert_eq!(range("bytes=-30", 10), Some((0, 9)));
        assert_eq!(range("bytes=8-100", 10), Some((8, 9)));
        assert_eq!(range("bytes=10-", 10), Some((u64::MAX, u64::MAX)));
        assert_eq!(range("bytes=0-1,3-4", 10), None);
        assert_eq!(range("items=0-1", 10), None);
        assert_eq!(range("bytes=4-2", 10), None);
        assert_eq!(range("bytes=x-2", 10), None);
        assert_eq!(
            range("bytes=18446744073709551615-", 10),
            Some((u64::MAX, u64::MAX))
        );
    }

    #[test]
    fn accept_encoding_q_values() {
        let mut h = HeaderMap::new();
        h.insert(
            ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0.5, *;q=0.1, zstd;q=0"),
        );
        let q = AcceptEncoding::parse(&h);
        assert_eq!(q.quality("br"), 0.5);
        assert_eq!(q.quality("zstd"), 0.0);
        assert_eq!(q.quality("deflate"), 0.1);
        assert_eq!(q.identity(), 0.0);
    }
}
