//! The `XForwardedHeaders` plugin: Ktor's `XForwardedHeaders`, for trusted proxies only. When
//! the connection comes from a trusted proxy, the scheme, host, port and client address a
//! handler sees ([`RequestOrigin`]) are taken from `X-Forwarded-Proto` (or
//! `X-Forwarded-Protocol`), `X-Forwarded-SSL`/`Front-End-Https`, `X-Forwarded-Host` (or
//! `X-Forwarded-Server`), `X-Forwarded-Port` and `X-Forwarded-For`; from anyone else those
//! headers are ignored.
//!
//! ```text
//! install!(XForwardedHeaders { trusted_proxies(["10.0.0.0/8", "127.0.0.1"])  use_last_proxy() })
//! ```
//! desugars to [`XForwardedHeaders::configure`]. Each header may list several values, one per
//! proxy (`client, proxy1, proxy2`); which one is used is Ktor's choice: the first (default,
//! `use_first_proxy()`), the last (`use_last_proxy()`), the one before the last `n`
//! (`skip_last_proxies(n)`), or the one before the trailing known proxies
//! (`skip_known_proxies([..])`).
//!
//! # Where oxtor differs from Ktor 3.4.0
//! Ktor believes these headers from any client, so any client can claim to be `https` or
//! another address. oxtor believes them only from `trusted_proxies` (addresses or CIDR ranges;
//! loopback by default); `trust_any_proxy()` restores Ktor's behaviour for a server that only
//! a proxy can reach. The peer address comes from the engine (axum's `ConnectInfo`); without it
//! nothing is trusted.
//!
//! # Example
//! ```
//! use oxtor_runtime::{origin::RequestOrigin, plugins::forwarded_headers::XForwardedHeaders,
//!     testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(XForwardedHeaders::configure(|cfg| { cfg.trusted_proxies(["127.0.0.1"]); }))?;
//! app.routing(Router::new().route("/", get(|o: RequestOrigin| async move {
//!     format!("{}://{}:{} for {}", o.scheme, o.host, o.port, o.remote_host)
//! })))?;
//! let server = TestApplication::start(app).await?;
//! let req = http::Request::get("/")
//!     .header("x-forwarded-proto", "https")
//!     .header("x-forwarded-host", "example.com")
//!     .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
//!     .body(axum::body::Body::empty()).unwrap();
//! assert_eq!(server.send(req).await?.text()?, "https://example.com:443 for 203.0.113.7");
//! # Ok(()) }
//! ```
use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    task::{Context, Poll},
};

use axum::extract::ConnectInfo;
use http::{HeaderMap, HeaderValue, Request};
use tower_layer::Layer;
use tower_service::Service;

use crate::{
    app::Application,
    origin::{default_port, split_host_port, RequestOrigin},
    ConfigError, Plugin,
};

/// The forwarded headers of a request: for each, the first line of the first of its names
/// that has a readable one (`X-Forwarded-Proto` before `X-Forwarded-Protocol`, and so on).
struct Forwarded<'a> {
    proto: Option<&'a str>,
    https_flag: Option<&'a str>,
    host: Option<&'a str>,
    port: Option<&'a str>,
    client: Option<&'a str>,
}

impl<'a> Forwarded<'a> {
    /// The forwarded headers in `headers`; `None` when there are none (the usual request, even
    /// from a trusted proxy's address: nothing changes, so no origin is computed). One pass
    /// over the request's few headers, most of them rejected by their first byte, instead of
    /// a hashed look-up for each of the eight names.
    fn find(headers: &'a HeaderMap) -> Option<Self> {
        // The first line of each name, in the order of the preferences below.
        let mut first: [Option<&'a HeaderValue>; 8] = [None; 8];
        for (name, value) in headers {
            let name = name.as_str();
            let slot = match name.strip_prefix("x-forwarded-") {
                Some("proto") => 0,
                Some("protocol") => 1,
                Some("ssl") => 2,
                Some("host") => 4,
                Some("server") => 5,
                Some("port") => 6,
                Some("for") => 7,
                Some(_) => continue,
                None if name == "front-end-https" => 3,
                None => continue,
            };
            first[slot].get_or_insert(value);
        }
        if first.iter().all(Option::is_none) {
            return None;
        }
        let text = |i: usize| first[i].and_then(|v| v.to_str().ok());
        Some(Self {
            proto: text(0).or_else(|| text(1)),
            https_flag: text(2).or_else(|| text(3)),
            host: text(4).or_else(|| text(5)),
            port: text(6),
            client: text(7),
        })
    }
}

/// Which of a header's comma-separated values is the client's.
#[derive(Debug, Clone)]
enum Strategy {
    First,
    Last,
    SkipLast(usize),
    SkipKnown(Vec<String>),
}

/// An address or a CIDR range.
#[derive(Debug, Clone, Copy)]
struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl Net {
    fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            _ => ip,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The configuration of [`XForwardedHeaders`]. Built by `install!(XForwardedHeaders { .. })`.
#[derive(Debug)]
pub struct XForwardedHeadersConfig {
    trusted: Option<Vec<Net>>,
    strategy: Strategy,
    errors: Vec<ConfigError>,
}

impl Default for XForwardedHeadersConfig {
    fn default() -> Self {
        Self {
            trusted: Some(vec![
                Net {
                    addr: IpAddr::from([127, 0, 0, 0]),
                    prefix: 8,
                },
                Net {
                    addr: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
                    prefix: 128,
                },
            ]),
            strategy: Strategy::First,
            errors: Vec::new(),
        }
    }
}

impl XForwardedHeadersConfig {
    /// The proxies whose headers are believed: addresses (`10.0.0.1`, `::1`) or CIDR ranges
    /// (`10.0.0.0/8`). Replaces the default (loopback).
    pub fn trusted_proxies<I: IntoIterator<Item = S>, S: AsRef<str>>(
        &mut self,
        proxies: I,
    ) -> &mut Self {
        let mut nets = Vec::new();
        for p in proxies {
            match Net::parse(p.as_ref().trim()) {
                Some(net) => nets.push(net),
                None => self.errors.push(ConfigError::new(
                    "XForwardedHeaders.trusted_proxies",
                    format!("`{}` is not an IP address or CIDR range", p.as_ref()),
                )),
            }
        }
        self.trusted = Some(nets);
        self
    }

    /// Believes the headers from every client (Ktor's behaviour); only for a server that no
    /// one but the proxy can reach.
    pub fn trust_any_proxy(&mut self) -> &mut Self {
        self.trusted = None;
        self
    }

    /// Uses each header's first value (the default).
    pub fn use_first_proxy(&mut self) -> &mut Self {
        self.strategy = Strategy::First;
        self
    }

    /// Uses each header's last value.
    pub fn use_last_proxy(&mut self) -> &mut Self {
        self.strategy = Strategy::Last;
        self
    }

    /// Skips the last `count` values (the proxies in front of the server).
    pub fn skip_last_proxies(&mut self, count: usize) -> &mut Self {
        self.strategy = Strategy::SkipLast(count);
        self
    }

    /// Skips the trailing values of `X-Forwarded-For` that are these known proxies.
    pub fn skip_known_proxies<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        hosts: I,
    ) -> &mut Self {
        self.strategy = Strategy::SkipKnown(hosts.into_iter().map(Into::into).collect());
        self
    }
}

#[derive(Debug)]
struct Settings {
    trusted: Option<Vec<Net>>,
    strategy: Strategy,
}

impl Settings {
    fn trusts(&self, peer: Option<SocketAddr>) -> bool {
        match (&self.trusted, peer) {
            (None, _) => true,
            (Some(nets), Some(peer)) => nets.iter().any(|n| n.contains(peer.ip())),
            (Some(_), None) => false,
        }
    }

    fn apply(&self, found: &Forwarded<'_>, origin: &mut RequestOrigin) {
        let skip = match &self.strategy {
            Strategy::SkipKnown(hosts) => {
                let values: Vec<&str> = found
                    .client
                    .map(|v| v.split(',').map(str::trim).collect())
                    .unwrap_or_default();
                hosts
                    .iter()
                    .rev()
                    .zip(values.iter().rev())
                    .take_while(|(h, v)| h.trim() == **v)
                    .count()
            }
            Strategy::SkipLast(n) => *n,
            _ => 0,
        };
        let pick = |value: &str| -> Option<String> {
            let values: Vec<&str> = value.split(',').collect();
            let v = match self.strategy {
                Strategy::First => values.first().copied(),
                Strategy::Last => values.last().copied(),
                Strategy::SkipLast(_) | Strategy::SkipKnown(_) => values
                    .len()
                    .checked_sub(skip + 1)
                    .and_then(|i| values.get(i).copied())
                    .or(values.last().copied()),
            };
            v.map(|s| s.trim().to_owned())
        };
        if let Some(scheme) = found.proto.and_then(pick) {
            origin.scheme = scheme.to_ascii_lowercase();
            let port = default_port(&origin.scheme);
            if port != 0 {
                origin.port = port;
            }
        }
        if let Some(flag) = found.https_flag.and_then(pick) {
            if matches!(flag.as_str(), "yes" | "true" | "on") {
                origin.scheme = "https".to_owned();
                origin.port = 443;
            }
        }
        if let Some(host) = found.host.and_then(pick) {
            let (host, port) = split_host_port(&host);
            origin.host = host;
            origin.port = port.unwrap_or_else(|| default_port(&origin.scheme));
        }
        if let Some(port) = found.port.and_then(pick).and_then(|p| p.parse().ok()) {
            origin.port = port;
        }
        if let Some(client) = found.client.and_then(pick).filter(|c| !c.is_empty()) {
            origin.remote_address = client.parse::<IpAddr>().is_ok().then(|| client.clone());
            origin.remote_host = client;
            origin.remote_port = None;
        }
    }
}

/// The X-Forwarded-* plugin; see the [module docs](crate::plugins::forwarded_headers).
#[derive(Debug, Clone)]
pub struct XForwardedHeaders {
    settings: Arc<Settings>,
}

impl XForwardedHeaders {
    /// Configures the plugin; what `install!(XForwardedHeaders { .. })` desugars to.
    pub fn configure(f: impl FnOnce(&mut XForwardedHeadersConfig)) -> Result<Self, ConfigError> {
        let mut cfg = XForwardedHeadersConfig::default();
        f(&mut cfg);
        if let Some(e) = cfg.errors.into_iter().next() {
            return Err(e);
        }
        Ok(Self {
            settings: Arc::new(Settings {
                trusted: cfg.trusted,
                strategy: cfg.strategy,
            }),
        })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> XForwardedHeadersLayer {
        XForwardedHeadersLayer {
            settings: self.settings,
        }
    }
}

impl Default for XForwardedHeaders {
    /// Loopback proxies trusted, first values used.
    fn default() -> Self {
        Self::configure(|_| {})
            .unwrap_or_else(|_| unreachable!("the default configuration is valid"))
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for XForwardedHeaders {
    const NAME: &'static str = "XForwardedHeaders";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

/// The tower layer of [`XForwardedHeaders`].
#[derive(Debug, Clone)]
pub struct XForwardedHeadersLayer {
    settings: Arc<Settings>,
}

impl<S> Layer<S> for XForwardedHeadersLayer {
    type Service = XForwardedHeadersService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        XForwardedHeadersService {
            inner,
            settings: self.settings.clone(),
        }
    }
}

/// The service of [`XForwardedHeadersLayer`].
#[derive(Clone)]
pub struct XForwardedHeadersService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> fmt::Debug for XForwardedHeadersService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XForwardedHeadersService")
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<B>> for XForwardedHeadersService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        if self.settings.trusts(peer) {
            if let Some(found) = Forwarded::find(req.headers()) {
                let mut origin = RequestOrigin::of(&req);
                self.settings.apply(&found, &mut origin);
                req.extensions_mut().insert(origin);
            }
        }
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&'static str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in lines {
            let value = HeaderValue::from_bytes(value).expect("a header value");
            map.append(*name, value);
        }
        map
    }

    #[test]
    fn a_request_without_forwarded_headers_has_nothing_to_apply() {
        let map = headers(&[
            ("host", b"a"),
            ("x-forwarded", b"1"),
            ("forwarded", b"for=x"),
        ]);
        assert!(Forwarded::find(&map).is_none());
    }

    #[test]
    fn each_header_prefers_its_first_name_whatever_the_order() {
        let map = headers(&[
            ("x-forwarded-protocol", b"http"),
            ("x-forwarded-server", b"server"),
            ("front-end-https", b"on"),
            ("x-forwarded-proto", b"https"),
            ("x-forwarded-host", b"host"),
            ("x-forwarded-ssl", b"off"),
            ("x-forwarded-for", b"1.2.3.4, 10.0.0.1"),
            ("x-forwarded-for", b"10.0.0.2"),
            ("x-forwarded-port", b"8443"),
        ]);
        let found = Forwarded::find(&map).expect("forwarded headers");
        assert_eq!(found.proto, Some("https"));
        assert_eq!(found.host, Some("host"));
        assert_eq!(found.https_flag, Some("off"));
        assert_eq!(found.port, Some("8443"));
        assert_eq!(found.client, Some("1.2.3.4, 10.0.0.1"));
    }

    #[test]
    fn an_unreadable_first_name_falls_back_to_the_second() {
        let map = headers(&[
            ("x-forwarded-proto", b"\xff"),
            ("x-forwarded-protocol", b"https"),
            ("front-end-https", b"on"),
        ]);
        let found = Forwarded::find(&map).expect("forwarded headers");
        assert_eq!(found.proto, Some("https"));
        assert_eq!(found.https_flag, Some("on"));
        assert_eq!(found.host, None);
    }

    #[test]
    fn cidr_ranges() {
        let net = Net::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(Net::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Net::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Net::parse("10.0.0.0/33").is_none());
        let err = XForwardedHeaders::configure(|cfg| {
            cfg.trusted_proxies(["nope"]);
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "XForwardedHeaders.trusted_proxies: `nope` is not an IP address or CIDR range"
        );
    }
}
