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
use std::{convert::Infallible, net::SocketAddr};

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
        let scheme = match uri.scheme_str() {
            Some(scheme) => scheme.to_ascii_lowercase(),
            // HTTP/1.1's request line has no scheme: the connection tells.
            None if ext.get::<SecureConnection>().is_some() => "https".to_owned(),
            None => "http".to_owned(),
        };
        let authority = uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| {
                headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let (host, port) = split_host_port(&authority);
        let port = port.unwrap_or_else(|| default_port(&scheme));
        let peer = ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        Self {
            scheme,
            host,
            port,
            remote_host: peer.map(|p| p.ip().to_string()).unwrap_or_default(),
            remote_address: peer.map(|p| p.ip().to_string()),
            remote_port: peer.map(|p| p.port()),
        }
    }
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
pub(crate) fn split_host_port(s: &str) -> (String, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (format!("[{h}]"), port);
        }
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => match p.parse() {
            Ok(port) => (h.to_owned(), Some(port)),
            Err(_) => (s.to_owned(), None),
        },
        _ => (s.to_owned(), None),
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
    fn host_and_port() {
        assert_eq!(split_host_port("a:8080"), ("a".to_owned(), Some(8080)));
        assert_eq!(split_host_port("a"), ("a".to_owned(), None));
        assert_eq!(split_host_port("[::1]:9"), ("[::1]".to_owned(), Some(9)));
        assert_eq!(split_host_port("a:x"), ("a:x".to_owned(), None));
    }
}
