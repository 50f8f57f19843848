//! [`RequestOrigin`]: where a request came from and what it asked for — scheme, host, port and
//! the client's address — as Ktor's `call.request.origin`. Computed from the request and its
//! connection, unless a layer such as `XForwardedHeaders` replaced it with what a trusted proxy
//! reported (it puts a `RequestOrigin` in the request's extensions).
//!
//! # Example
//! ```
//! use oxtor_runtime::origin::RequestOrigin;
//!
//! let req = http::Request::get("/").header("host", "example.com:8080").body(()).unwrap();
//! let origin = RequestOrigin::of(&req);
//! assert_eq!((origin.scheme.as_str(), origin.host.as_str(), origin.port), ("http", "example.com", 8080));
//! ```
use std::{
    borrow::Cow,
    convert::Infallible,
    net::{IpAddr, SocketAddr},
};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::{header, request::Parts, Request};

use crate::server::SecureConnection;

/// Where a request came from and what it asked for (Ktor's `RequestConnectionPoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOrigin {
    /// `http` or `https`.
    pub scheme: String,
    /// The host the client asked for, without the port.
    pub host: String,
    /// The port the client asked for (the scheme's default when none was given).
    pub port: u16,
    /// The client's host or address as reported (an address unless a proxy said otherwise).
    pub remote_host: String,
    /// The client's address, when known.
    pub remote_address: Option<String>,
    /// The client's port, when known.
    pub remote_port: Option<u16>,
}

impl RequestOrigin {
    /// The origin of `req`: the one a layer stored, or the one computed from the request.
    pub fn of<B>(req: &Request<B>) -> Self {
        req.extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_else(|| Self::computed(req.uri(), req.headers(), req.extensions()))
    }

    /// The origin of the request in `parts`, as [`of`](Self::of).
    pub fn of_parts(parts: &Parts) -> Self {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .unwrap_or_else(|| Self::computed(&parts.uri, &parts.headers, &parts.extensions))
    }

    /// The origin as the request and its connection say, ignoring any stored one.
    pub fn computed(uri: &http::Uri, headers: &http::HeaderMap, ext: &http::Extensions) -> Self {
        let asked = Requested::computed(uri, headers, ext);
        let peer = ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        // Formatted once, copied for the other field.
        let remote_address = peer.map(|p| address_text(p.ip()));
        Self {
            scheme: asked.scheme.into_owned(),
            host: asked.host.to_owned(),
            port: asked.port,
            remote_host: remote_address.clone().unwrap_or_default(),
            remote_address,
            remote_port: peer.map(|p| p.port()),
        }
    }
}

/// The scheme, host and port a request asked for, borrowed from the request (or from the
/// [`RequestOrigin`] a layer stored): what a plugin that only compares them reads, without
/// the copies and the client's formatted address of a whole `RequestOrigin`.
pub(crate) struct Requested<'a> {
    /// `http` or `https` (lowercase).
    pub(crate) scheme: Cow<'a, str>,
    /// The host, without the port.
    pub(crate) host: &'a str,
    /// The port (the scheme's default when none was given).
    pub(crate) port: u16,
}

impl<'a> Requested<'a> {
    /// What `req` asked for, as [`RequestOrigin::of`] would say.
    #[cfg(any(feature = "cors", feature = "hsts"))]
    pub(crate) fn of<B>(req: &'a Request<B>) -> Self {
        match req.extensions().get::<RequestOrigin>() {
            Some(stored) => Self {
                scheme: Cow::Borrowed(&stored.scheme),
                host: &stored.host,
                port: stored.port,
            },
            None => Self::computed(req.uri(), req.headers(), req.extensions()),
        }
    }

    /// What the request line, `Host` and the connection say.
    fn computed(uri: &'a http::Uri, headers: &'a http::HeaderMap, ext: &http::Extensions) -> Self {
        let scheme = match uri.scheme_str() {
            Some(scheme) if scheme.bytes().any(|b| b.is_ascii_uppercase()) => {
                Cow::Owned(scheme.to_ascii_lowercase())
            }
            Some(scheme) => Cow::Borrowed(scheme),
            // HTTP/1.1's request line has no scheme: the connection tells.
            None if ext.get::<SecureConnection>().is_some() => Cow::Borrowed("https"),
            None => Cow::Borrowed("http"),
        };
        let authority = uri
            .authority()
            .map(|a| a.as_str())
            .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()))
            .unwrap_or_default();
        let (host, port) = host_and_port(authority);
        let port = port.unwrap_or_else(|| default_port(&scheme));
        Self { scheme, host, port }
    }
}

/// `ip` as its `Display` writes it; an IPv4 address (most clients) without the formatting
/// machinery, which pads and aligns through a buffer first.
fn address_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut text = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
    text
}

/// `80` for `http`, `443` for `https` (and `ws`/`wss`), else `0`.
pub(crate) fn default_port(scheme: &str) -> u16 {
    match scheme {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => 0,
    }
}

/// `host:port`, `[v6]:port`, `host` → host and port.
#[cfg(feature = "forwarded-headers")]
pub(crate) fn split_host_port(s: &str) -> (String, Option<u16>) {
    let (host, port) = host_and_port(s);
    (host.to_owned(), port)
}

/// `host:port`, `[v6]:port`, `host` → host and port, borrowed from `s`.
fn host_and_port(s: &str) -> (&str, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            // `[h]`, brackets included.
            return (&s[..h.len() + 2], port);
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h, Some(port)),
            Err(_) => (s, None),
        },
        _ => (s, None),
    }
}

/// `RequestOrigin` is an extractor (never fails).
impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self::of_parts(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_reads_as_its_display() {
        let mut addresses: Vec<IpAddr> = [0u8, 1, 9, 10, 99, 100, 109, 199, 200, 255]
            .iter()
            .flat_map(|&a| [0u8, 7, 42, 255].map(move |b| IpAddr::from([a, b, 100 - b % 100, a])))
            .collect();
        addresses.extend(
            ["::1", "2001:db8::7", "::ffff:10.0.0.1"].map(|a| a.parse::<IpAddr>().unwrap()),
        );
        for ip in addresses {
            assert_eq!(address_text(ip), ip.to_string());
        }
    }

    #[test]
    fn host_and_port_split() {
        assert_eq!(host_and_port("a:8080"), ("a", Some(8080)));
        assert_eq!(host_and_port("a"), ("a", None));
        assert_eq!(host_and_port("[::1]:9"), ("[::1]", Some(9)));
        assert_eq!(host_and_port("a:x"), ("a:x", None));
        assert_eq!(host_and_port("[::1]"), ("[::1]", None));
        assert_eq!(host_and_port("[::1"), ("[::1", None));
    }

    #[cfg(any(feature = "cors", feature = "hsts"))]
    fn requested(req: &Request<()>) -> (String, &str, u16) {
        let asked = Requested::of(req);
        (asked.scheme.into_owned(), asked.host, asked.port)
    }

    #[test]
    #[cfg(any(feature = "cors", feature = "hsts"))]
    fn requested_is_what_the_whole_origin_says() {
        let secure = {
            let mut req = Request::get("/")
                .header("host", "Example.com")
                .body(())
                .unwrap();
            req.extensions_mut().insert(SecureConnection);
            req
        };
        for req in [
            Request::get("/")
                .header("host", "example.com:8080")
                .body(())
                .unwrap(),
            Request::get("/")
                .header("host", "[::1]:9")
                .body(())
                .unwrap(),
            Request::get("/").body(()).unwrap(),
            Request::get("HTTPS://h.example/").body(()).unwrap(),
            Request::get("http://h.example:81/")
                .header("host", "other")
                .body(())
                .unwrap(),
            secure,
        ] {
            let whole = RequestOrigin::of(&req);
            assert_eq!(
                requested(&req),
                (whole.scheme.clone(), whole.host.as_str(), whole.port),
                "{:?}",
                req.uri()
            );
        }
    }

    #[test]
    #[cfg(any(feature = "cors", feature = "hsts"))]
    fn requested_reads_a_stored_origin() {
        let mut req = Request::get("/")
            .header("host", "inner:8080")
            .body(())
            .unwrap();
        req.extensions_mut().insert(RequestOrigin {
            scheme: "https".into(),
            host: "proxied.example".into(),
            port: 443,
            remote_host: "203.0.113.7".into(),
            remote_address: None,
            remote_port: None,
        });
        assert_eq!(requested(&req), ("https".into(), "proxied.example", 443));
    }
}
