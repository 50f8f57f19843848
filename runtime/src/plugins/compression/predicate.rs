//! Conditions that decide whether a response is compressed: [`CompressionCall`] (what a
//! condition sees), the [`Condition`] trait for closures, `minimum_size`, and content-type
//! matching. Ktor's `conditions`, `minimumSize`, `matchContentType` and `excludeContentType`.
use std::{borrow::Cow, fmt, sync::Arc};

use http::{header, HeaderMap, Method, StatusCode, Uri};

use crate::ConfigError;

/// What a compression [`Condition`] sees: the request line and headers, and the response status
/// and headers. Ktor's `call` + `OutgoingContent`.
///
/// See the [module docs](crate::plugins::compression).
#[derive(Debug, Clone, Copy)]
pub struct CompressionCall<'a> {
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) request_headers: &'a HeaderMap,
    pub(crate) status: StatusCode,
    pub(crate) response_headers: &'a HeaderMap,
    pub(crate) content_length: Option<u64>,
    /// `type/subtype` of the response `Content-Type`, split once.
    pub(crate) essence: Option<(&'a str, &'a str)>,
}

/// The `type` and `subtype` of a `Content-Type` value, without parameters; `None` if there is no
/// `/` before the first `;`, or what comes before it is not UTF-8 (parameters may hold any
/// bytes a header value can).
pub(crate) fn essence(content_type: &[u8]) -> Option<(&str, &str)> {
    // Byte scans (on every compressible response's way), then UTF-8 checked only up to the
    // parameters.
    let end = content_type
        .iter()
        .position(|&b| b == b';')
        .unwrap_or(content_type.len());
    let essence = &content_type[..end];
    let slash = essence.iter().position(|&b| b == b'/')?;
    let essence = std::str::from_utf8(essence).ok()?;
    Some((
        essence[..slash].trim_ascii(),
        essence[slash + 1..].trim_ascii(),
    ))
}

impl<'a> CompressionCall<'a> {
    /// The request method.
    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The request URI.
    pub fn uri(&self) -> &'a Uri {
        self.uri
    }

    /// The decoded value of the first query parameter called `name` (`Some("")` for `?name`),
    /// read as `application/x-www-form-urlencoded` as axum's `Query` reads it: `?e=%31` and
    /// `?e=1` both give `"1"`, `+` is a space.
    pub fn query_param(&self, name: &str) -> Option<Cow<'a, str>> {
        let query = self.uri.query()?;
        form_urlencoded::parse(query.as_bytes()).find_map(|(k, v)| (k == name).then_some(v))
    }

    /// The request headers.
    pub fn request_headers(&self) -> &'a HeaderMap {
        self.request_headers
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers, before compression.
    pub fn response_headers(&self) -> &'a HeaderMap {
        self.response_headers
    }

    /// The response `Content-Type`, if any, as a string: `None` also for a value with bytes
    /// outside visible ASCII (obs-text in a parameter, say), whose type and subtype the built-in
    /// content-type conditions still read.
    pub fn content_type(&self) -> Option<&'a str> {
        self.response_headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The body length, when it is known before sending.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
}

/// A user condition: compress only when it returns `true`. Implemented for every
/// `Fn(&CompressionCall<'_>) -> bool` closure.
#[diagnostic::on_unimplemented(
    note = "a compression condition is a closure `|call: &CompressionCall<'_>| -> bool`"
)]
pub trait Condition: Send + Sync + 'static {
    /// Whether the response may be compressed.
    fn check(&self, call: &CompressionCall<'_>) -> bool;
}

impl<F> Condition for F
where
    F: Fn(&CompressionCall<'_>) -> bool + Send + Sync + 'static,
{
    fn check(&self, call: &CompressionCall<'_>) -> bool {
        self(call)
    }
}

/// A media range such as `text/*` or `application/json`, compared case-insensitively and
/// without parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaRange {
    kind: String,
    subtype: String,
}

impl MediaRange {
    /// Parses `type/subtype` (either may be `*`); the key names the config key for the error.
    pub(crate) fn parse(key: &str, range: &str) -> Result<Self, ConfigError> {
        let essence = range.split(';').next().unwrap_or("").trim();
        let bad = || ConfigError::new(key, format!("`{range}` is not a media type like `text/*`"));
        let (kind, subtype) = essence.split_once('/').ok_or_else(bad)?;
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+*".contains(&b))
        };
        if !token(kind) || !token(subtype) || (kind == "*" && subtype != "*") {
            return Err(bad());
        }
        Ok(Self {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
        })
    }

    /// Whether a `Content-Type` (split by [`essence`]) falls in this range.
    pub(crate) fn matches(&self, (kind, subtype): (&str, &str)) -> bool {
        (self.kind == "*" || self.kind.eq_ignore_ascii_case(kind))
            && (self.subtype == "*" || self.subtype.eq_ignore_ascii_case(subtype))
    }
}

/// A set of conditions, at the top level of the config or on one encoder.
#[derive(Clone, Default)]
pub(crate) struct Conditions {
    pub(crate) minimum_size: Option<u64>,
    pub(crate) match_types: Vec<MediaRange>,
    pub(crate) exclude_types: Vec<MediaRange>,
    pub(crate) custom: Vec<Arc<dyn Condition>>,
}

impl fmt::Debug for Conditions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conditions")
            .field("minimum_size", &self.minimum_size)
            .field("match_types", &self.match_types)
            .field("exclude_types", &self.exclude_types)
            .field("custom", &self.custom.len())
            .finish()
    }
}

/// The content types Ktor never compresses by default (already compressed, or streaming).
/// `text/event-stream` is handled by its own gate, so a response can opt in.
const DEFAULT_EXCLUDED: [&str; 5] = [
    "video/*",
    "image/jpeg",
    "image/png",
    "audio/*",
    "multipart/*",
];

/// Ktor's default `minimumSize`.
pub(crate) const DEFAULT_MINIMUM_SIZE: u64 = 200;

impl Conditions {
    pub(crate) fn is_empty(&self) -> bool {
        self.minimum_size.is_none()
            && self.match_types.is_empty()
            && self.exclude_types.is_empty()
            && self.custom.is_empty()
    }

    /// Ktor's default conditions: the excluded types and `minimum_size = 200`.
    pub(crate) fn defaults() -> Self {
        Self {
            minimum_size: Some(DEFAULT_MINIMUM_SIZE),
            exclude_types: DEFAULT_EXCLUDED
                .iter()
                .filter_map(|r| MediaRange::parse("", r).ok())
                .collect(),
            ..Self::default()
        }
    }

    /// Whether every condition passes. A length that is not known passes `minimum_size`;
    /// `match_content_type` fails without a `Content-Type`; `exclude_content_type` passes.
    pub(crate) fn check(&self, call: &CompressionCall<'_>) -> bool {
        if let (Some(min), Some(len)) = (self.minimum_size, call.content_length) {
            if len < min {
                return false;
            }
        }
        if !self.match_types.is_empty() {
            match call.essence {
                Some(ct) if self.match_types.iter().any(|r| r.matches(ct)) => {}
                _ => return false,
            }
        }
        if let Some(ct) = call.essence {
            if self.exclude_types.iter().any(|r| r.matches(ct)) {
                return false;
            }
        }
        self.custom.iter().all(|c| c.check(call))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call<'a>(headers: &'a HeaderMap, uri: &'a Uri, len: Option<u64>) -> CompressionCall<'a> {
        CompressionCall {
            method: &Method::GET,
            uri,
            request_headers: headers,
            status: StatusCode::OK,
            response_headers: headers,
            content_length: len,
            essence: None,
        }
    }

    #[test]
    fn media_range_matches_wildcards_and_ignores_parameters() {
        let text = MediaRange::parse("k", "text/*").unwrap();
        let m = |ct: &str| text.matches(essence(ct.as_bytes()).unwrap());
        assert!(m("text/plain; charset=utf-8"));
        assert!(m("TEXT/HTML"));
        assert!(!m("application/json"));
        assert!(MediaRange::parse("k", "*/*")
            .unwrap()
            .matches(essence(b"image/png").unwrap()));
        assert_eq!(essence(b"text"), None);
    }

    #[test]
    fn essence_is_type_and_subtype_before_any_parameter() {
        assert_eq!(
            essence(b" text / html ;charset=utf-8"),
            Some(("text", "html"))
        );
        assert_eq!(essence(b"application/json"), Some(("application", "json")));
        assert_eq!(essence(b"a/b/c"), Some(("a", "b/c")));
        assert_eq!(essence(b"text;a=b/c"), None);
        assert_eq!(essence(b""), None);
    }

    #[test]
    fn essence_reads_past_parameters_that_are_not_utf8() {
        assert_eq!(
            essence(b"text/html; title=\xe9t\xe9"),
            Some(("text", "html"))
        );
        assert_eq!(essence(b"te\xffxt/html"), None);
    }

    #[test]
    fn content_type_is_a_string_only_when_the_whole_value_is_visible_ascii() {
        let uri = Uri::from_static("/");
        let mut headers = HeaderMap::new();
        let value = b"image/png; title=\xe9t\xe9";
        headers.insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_bytes(value).unwrap(),
        );
        let c = CompressionCall {
            essence: essence(value),
            ..call(&headers, &uri, None)
        };
        assert_eq!(c.content_type(), None);
        let excluded = Conditions::defaults();
        assert!(!excluded.check(&c), "image/png is excluded by default");
    }

    #[test]
    fn media_range_rejects_what_is_not_a_media_type() {
        let err = MediaRange::parse("Compression.match_content_type", "text").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Compression.match_content_type: `text` is not a media type like `text/*`"
        );
        assert!(MediaRange::parse("k", "*/json").is_err());
    }

    #[test]
    fn unknown_length_passes_minimum_size() {
        let headers = HeaderMap::new();
        let uri = Uri::from_static("/");
        let c = Conditions::defaults();
        assert!(c.check(&call(&headers, &uri, None)));
        assert!(!c.check(&call(&headers, &uri, Some(199))));
        assert!(c.check(&call(&headers, &uri, Some(200))));
    }

    #[test]
    fn query_param_reads_values() {
        let headers = HeaderMap::new();
        let uri = Uri::from_static("/p?e=1&f&g=x");
        let c = call(&headers, &uri, None);
        assert_eq!(c.query_param("e").as_deref(), Some("1"));
        assert_eq!(c.query_param("f").as_deref(), Some(""));
        assert_eq!(c.query_param("h"), None);
    }

    #[test]
    fn query_param_decodes_names_and_values() {
        let headers = HeaderMap::new();
        let uri = Uri::from_static("/p?e=%31&n%61me=a+b%20c");
        let c = call(&headers, &uri, None);
        assert_eq!(c.query_param("e").as_deref(), Some("1"));
        assert_eq!(c.query_param("name").as_deref(), Some("a b c"));
    }
}
