//! [`UrlBuilder`]: a URL whose parts may be missing (Ktor's `URLBuilder`), so that a request for
//! `"file"` or `"//other.host/"` can be merged with the default request's URL.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::UrlBuilder;
//!
//! let url = UrlBuilder::parse("//other.host:8080/a?x=1#top");
//! assert_eq!(url.protocol(), None);
//! assert_eq!(url.host(), Some("other.host"));
//! assert_eq!(url.to_string(), "http://other.host:8080/a?x=1#top");
//! ```
use std::fmt;

/// A possibly relative URL; see the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlBuilder {
    pub(crate) protocol: Option<String>,
    pub(crate) host: Option<String>,
    /// 0 means "the protocol's default".
    pub(crate) port: u16,
    /// Percent-encoded path, possibly relative (no leading `/`).
    pub(crate) path: String,
    /// Percent-encoded `key=value` pairs (a key without `=` has value `None`).
    pub(crate) query: Vec<(String, Option<String>)>,
    pub(crate) fragment: String,
    /// The port as written when it is not a valid port (`99999`, `abc`, `0`); sending fails.
    pub(crate) bad_port: Option<String>,
}

fn default_port(protocol: &str) -> u16 {
    match protocol {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => 0,
    }
}

fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl UrlBuilder {
    /// An empty URL: no protocol, no host, empty path.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses an absolute (`http://h/p`), protocol-relative (`//h/p`), absolute-path (`/p`) or
    /// relative (`p`) URL. Never fails: what does not look like a scheme or authority is path.
    pub fn parse(input: &str) -> Self {
        let mut url = Self::new();
        url.merge_parse(input);
        url
    }

    fn merge_parse(&mut self, input: &str) {
        let (rest, fragment) = match input.split_once('#') {
            Some((r, f)) => (r, f.to_owned()),
            None => (input, String::new()),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let mut rest = rest;
        if let Some(idx) = rest.find("://") {
            let scheme = &rest[..idx];
            if !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            {
                self.protocol = Some(scheme.to_ascii_lowercase());
                rest = &rest[idx + 1..];
            }
        }
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find('/').unwrap_or(after.len());
            let authority = &after[..end];
            let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            let (host, port) = split_host_port(authority);
            self.host = Some(host.to_owned());
            match port {
                Ok(port) => {
                    self.port = port;
                    self.bad_port = None;
                }
                Err(written) => {
                    self.port = 0;
                    self.bad_port = Some(written.to_owned());
                }
            }
            rest = &after[end..];
        }
        self.path = rest.to_owned();
        self.query = query.map(parse_query).unwrap_or_default();
        self.fragment = fragment;
    }

    /// The protocol, if one was given (`http`, `https`, `ws`, ...).
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }
    /// The host, if one was given.
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref().filter(|h| !h.is_empty())
    }
    /// The port, 0 for the protocol's default.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The encoded path as given (may be relative).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The fragment (without `#`).
    pub fn fragment(&self) -> &str {
        &self.fragment
    }

    /// Sets the protocol.
    pub fn set_protocol(&mut self, protocol: &str) -> &mut Self {
        self.protocol = Some(protocol.to_ascii_lowercase());
        self
    }
    /// Sets the host. A value containing `/`, `?` or `#` is kept as is and logged (Ktor warns too).
    pub fn set_host(&mut self, host: &str) -> &mut Self {
        if host.contains(['/', '?', '#']) {
            tracing::warn!("host `{host}` contains `/`, `?` or `#`; did you mean url(..)?");
        }
        self.host = Some(host.to_owned());
        self
    }
    /// Sets the port (0 = the protocol's default).
    pub fn set_port(&mut self, port: u16) -> &mut Self {
        self.port = port;
        self.bad_port = None;
        self
    }
    /// Sets the encoded path.
    pub fn set_path(&mut self, path: &str) -> &mut Self {
        self.path = path.to_owned();
        self
    }
    /// Sets the fragment.
    pub fn set_fragment(&mut self, fragment: &str) -> &mut Self {
        self.fragment = fragment.to_owned();
        self
    }
    /// Appends a query parameter, percent-encoding key and value.
    pub fn append_parameter(&mut self, key: &str, value: &str) -> &mut Self {
        self.query
            .push((encode_component(key), Some(encode_component(value))));
        self
    }
    /// Replaces all query parameters named `key` by one with `value`.
    pub fn set_parameter(&mut self, key: &str, value: &str) -> &mut Self {
        let k = encode_component(key);
        self.query.retain(|(q, _)| *q != k);
        self.query.push((k, Some(encode_component(value))));
        self
    }
    /// The (decoded-key) values of query parameter `key`, still percent-encoded.
    pub fn parameters(&self, key: &str) -> Vec<&str> {
        let k = encode_component(key);
        self.query
            .iter()
            .filter(|(q, _)| *q == k)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
            .collect()
    }

    /// Ktor's `mergeUrls(default, request)`: see `DefaultRequest` for the rules.
    pub(crate) fn merged_onto(&self, default: &UrlBuilder) -> UrlBuilder {
        let protocol = self.protocol.clone().or_else(|| default.protocol.clone());
        if self.host().is_some() {
            let mut url = self.clone();
            url.protocol = protocol;
            return url;
        }
        let mut url = default.clone();
        url.protocol = protocol;
        if self.port != 0 {
            url.port = self.port;
        }
        url.path = if self.path.is_empty() {
            default.path.clone()
        } else if default.path.is_empty() || self.path.starts_with('/') {
            self.path.clone()
        } else {
            // RFC 3986 §5.2.3: drop the base's last segment, append the reference.
            let base = match default.path.rfind('/') {
                Some(i) => &default.path[..=i],
                None => "",
            };
            format!("{base}{}", self.path)
        };
        if !self.fragment.is_empty() {
            url.fragment = self.fragment.clone();
        }
        let mut query = self.query.clone();
        for (k, v) in &default.query {
            if !self.query.iter().any(|(q, _)| q == k) {
                query.push((k.clone(), v.clone()));
            }
        }
        url.query = query;
        url
    }

    /// `scheme://host[:port]` with the defaults (`http`, `localhost`) filled in.
    fn origin(&self) -> String {
        let protocol = self.protocol.as_deref().unwrap_or("http");
        let host = self.host().unwrap_or("localhost");
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        if self.port == 0 || self.port == default_port(protocol) {
            format!("{protocol}://{host}")
        } else {
            format!("{protocol}://{host}:{}", self.port)
        }
    }

    fn path_and_query(&self) -> String {
        let mut out = String::new();
        if !self.path.is_empty() && !self.path.starts_with('/') {
            out.push('/');
        }
        out.push_str(&self.path);
        if !self.query.is_empty() {
            out.push('?');
            for (i, (k, v)) in self.query.iter().enumerate() {
                if i > 0 {
                    out.push('&');
                }
                out.push_str(k);
                if let Some(v) = v {
                    out.push('=');
                    out.push_str(v);
                }
            }
        }
        out
    }

    /// What is wrong with this URL as a request target, if anything: a scheme other than
    /// `http`/`https`, an empty host (`http:///x`), or a port outside 1..=65535. A URL without any
    /// host is fine: it goes to `localhost`, as in Ktor.
    pub(crate) fn problem(&self) -> Option<String> {
        if let Some(protocol) = self.protocol.as_deref() {
            if protocol != "http" && protocol != "https" {
                return Some(format!(
                    "unsupported scheme `{protocol}`: the client speaks `http` and `https`"
                ));
            }
        }
        if self.host.as_deref() == Some("") {
            return Some("the host is empty".to_owned());
        }
        if let Some(port) = &self.bad_port {
            return Some(format!("port `{port}` is not in 1..=65535"));
        }
        None
    }

    /// The URL as written, without filling in defaults (for error messages).
    fn as_written(&self) -> String {
        let mut out = String::new();
        if let Some(p) = &self.protocol {
            out.push_str(p);
            out.push(':');
        }
        if let Some(h) = &self.host {
            out.push_str("//");
            out.push_str(h);
            if let Some(port) = &self.bad_port {
                out.push(':');
                out.push_str(port);
            } else if self.port != 0 {
                out.push_str(&format!(":{}", self.port));
            }
        }
        out.push_str(&self.path_and_query());
        out
    }

    /// The URI sent on the wire (no fragment, path at least `/`); fails with
    /// [`ClientError::InvalidUrl`](super::ClientError::InvalidUrl) for what
    /// [`problem`](Self::problem) reports.
    pub(crate) fn to_uri(&self) -> Result<http::Uri, super::ClientError> {
        if let Some(reason) = self.problem() {
            return Err(super::ClientError::InvalidUrl {
                url: self.as_written(),
                reason,
            });
        }
        let mut pq = self.path_and_query();
        if !pq.starts_with('/') {
            pq.insert(0, '/');
        }
        let s = format!("{}{pq}", self.origin());
        s.parse()
            .map_err(|e: http::uri::InvalidUri| super::ClientError::InvalidUrl {
                url: s.clone(),
                reason: e.to_string(),
            })
    }
}

impl fmt::Display for UrlBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path_and_query())?;
        if !self.fragment.is_empty() {
            write!(f, "#{}", self.fragment)?;
        }
        Ok(())
    }
}

/// Host and port of an authority; the port is 0 when absent or empty (the scheme's default),
/// and `Err(as written)` when it is not in 1..=65535.
fn split_host_port(authority: &str) -> (&str, Result<u16, &str>) {
    fn port(written: &str) -> Result<u16, &str> {
        match written.parse::<u16>() {
            _ if written.is_empty() => Ok(0),
            Ok(0) | Err(_) => Err(written),
            Ok(p) => Ok(p),
        }
    }
    if let Some(rest) = authority.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            return match after.strip_prefix(':') {
                Some(p) => (host, port(p)),
                None if after.is_empty() => (host, Ok(0)),
                None => (host, Err(after)),
            };
        }
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, port(p)),
        _ => (authority, Ok(0)),
    }
}

fn parse_query(q: &str) -> Vec<(String, Option<String>)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (p.to_owned(), None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(default: &str, request: &str) -> String {
        UrlBuilder::parse(request)
            .merged_onto(&UrlBuilder::parse(default))
            .to_string()
    }

    #[test]
    fn relative_path_resolves_against_directory_of_default() {
        assert_eq!(
            merged("http://base.url/path/", "file"),
            "http://base.url/path/file"
        );
        assert_eq!(
            merged("http://base.url/path/default_file", "file"),
            "http://base.url/path/file"
        );
    }

    #[test]
    fn parses_ipv6_authority() {
        let url = UrlBuilder::parse("http://[::1]:8080/x");
        assert_eq!(url.host(), Some("::1"));
        assert_eq!(url.port(), 8080);
        assert_eq!(url.to_string(), "http://[::1]:8080/x");
    }

    #[test]
    fn a_port_out_of_range_is_an_error_not_the_default_port() {
        for (input, port) in [
            ("http://h:99999/x", "99999"),
            ("http://h:0/", "0"),
            ("http://h:80a/", "80a"),
            ("http://[::1]:65536/", "65536"),
        ] {
            let url = UrlBuilder::parse(input);
            match url.to_uri() {
                Err(crate::client::ClientError::InvalidUrl { url, reason }) => {
                    assert_eq!(reason, format!("port `{port}` is not in 1..=65535"));
                    assert!(url.contains(port), "{url}");
                }
                other => panic!("{input}: {other:?}"),
            }
        }
        assert_eq!(UrlBuilder::parse("http://h:/").port(), 0);
        let mut fixed = UrlBuilder::parse("http://h:99999/");
        fixed.set_port(8080);
        assert!(fixed.to_uri().is_ok());
    }

    #[test]
    fn an_empty_host_is_an_error_not_localhost() {
        let err = UrlBuilder::parse("http:///path").to_uri();
        assert!(
            matches!(&err, Err(crate::client::ClientError::InvalidUrl { reason, .. }) if reason == "the host is empty"),
            "{err:?}"
        );
        assert!(UrlBuilder::parse("/relative").to_uri().is_ok());
    }

    #[test]
    fn only_http_and_https_are_sent() {
        let err = UrlBuilder::parse("ftp://files.example/a").to_uri();
        assert_eq!(
            err.map_err(|e| e.to_string()).err().as_deref(),
            Some("invalid URL `ftp://files.example/a`: unsupported scheme `ftp`: the client speaks `http` and `https`")
        );
        assert!(UrlBuilder::parse("HTTPS://h/").to_uri().is_ok());
    }

    #[test]
    fn default_port_is_omitted() {
        assert_eq!(
            UrlBuilder::parse("https://h:443/").to_string(),
            "https://h/"
        );
    }

    #[test]
    fn query_parameters_are_encoded() {
        let mut url = UrlBuilder::parse("http://h/");
        url.append_parameter("a b", "c&d");
        assert_eq!(url.to_string(), "http://h/?a%20b=c%26d");
    }
}
