//! [`HostScope`]: which hosts a provider's credentials may be sent to.
//!
//! By default a provider is **pinned to the origin** (scheme, host, port) of the first request
//! it sent credentials to, until its token is cleared; a request to any other origin (an
//! absolute URL past the default request's base, another host a later hop leads to) carries no
//! credentials and is not re-authorized. [`HostScope::hosts`] lists the hosts explicitly
//! (`host` matches any port, `host:port` that port only) and turns pinning off.
//!
//! Ktor sends credentials wherever the client goes; oxtor does not, so a token cannot leak to a
//! third party by an unexpected URL.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{plugins::auth::HostScope, UrlBuilder};
//!
//! let pinned = HostScope::pinned();
//! assert!(pinned.claim(&UrlBuilder::parse("http://api.local:8080/a")));
//! assert!(pinned.claim(&UrlBuilder::parse("http://api.local:8080/b")));
//! assert!(!pinned.claim(&UrlBuilder::parse("http://evil.local:8080/")));
//! pinned.reset();
//! assert!(pinned.claim(&UrlBuilder::parse("https://other.local/")));
//!
//! let listed = HostScope::hosts(["api.local", "auth.local:9000"]);
//! assert!(listed.allows(&UrlBuilder::parse("https://API.local/")));
//! assert!(!listed.allows(&UrlBuilder::parse("http://auth.local:9001/")));
//! ```
use std::sync::{Mutex, PoisonError};

use crate::client::url::UrlBuilder;

/// Scheme, lowercased host and effective port of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

/// The parts of a URL an [`Origin`] compares, borrowed (no allocation per request).
struct Target<'a> {
    scheme: &'a str,
    host: &'a str,
    port: u16,
}

impl<'a> Target<'a> {
    fn of(url: &'a UrlBuilder) -> Option<Self> {
        let scheme = url.protocol().unwrap_or("http");
        let host = url.host()?;
        let port = effective_port(scheme, url.port());
        Some(Self { scheme, host, port })
    }
}

impl Origin {
    fn of(target: &Target<'_>) -> Self {
        Self {
            scheme: target.scheme.to_ascii_lowercase(),
            host: target.host.to_ascii_lowercase(),
            port: target.port,
        }
    }

    fn is(&self, target: &Target<'_>) -> bool {
        // Stored lowercased: a lowercase URL (the usual one) matches on the plain comparison.
        self.port == target.port
            && (self.scheme == target.scheme || self.scheme.eq_ignore_ascii_case(target.scheme))
            && (self.host == target.host || self.host.eq_ignore_ascii_case(target.host))
    }
}

fn effective_port(scheme: &str, port: u16) -> u16 {
    match port {
        0 if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("wss") => 443,
        0 => 80,
        p => p,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HostPattern {
    host: String,
    port: Option<u16>,
}

impl HostPattern {
    fn parse(s: &str) -> Self {
        let s = s.trim().to_ascii_lowercase();
        let (host, port) = match s.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((h, after)) => (h.to_owned(), after.strip_prefix(':')),
                None => (s.clone(), None),
            },
            None => match s.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p)),
                _ => (s.clone(), None),
            },
        };
        Self {
            host,
            port: port.and_then(|p| p.parse().ok()),
        }
    }

    fn matches(&self, target: &Target<'_>) -> bool {
        self.host.eq_ignore_ascii_case(target.host) && self.port.is_none_or(|p| p == target.port)
    }
}

#[derive(Debug)]
enum Mode {
    Pinned(Mutex<Option<Origin>>),
    Hosts(Vec<HostPattern>),
}

/// Which hosts a provider's credentials go to; see the [module docs](self).
#[derive(Debug)]
pub struct HostScope {
    mode: Mode,
}

impl Default for HostScope {
    fn default() -> Self {
        Self::pinned()
    }
}

impl HostScope {
    /// Pinned to the origin of the first request that carries the credentials (the default).
    pub fn pinned() -> Self {
        Self {
            mode: Mode::Pinned(Mutex::new(None)),
        }
    }

    /// Exactly these hosts: `host` (any port) or `host:port` (IPv6 as `[::1]:8080`).
    pub fn hosts<I>(hosts: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Self {
            mode: Mode::Hosts(
                hosts
                    .into_iter()
                    .map(|h| HostPattern::parse(h.as_ref()))
                    .collect(),
            ),
        }
    }

    /// Whether credentials may go to `url`, without pinning (an unpinned scope allows any URL
    /// with a host).
    pub fn allows(&self, url: &UrlBuilder) -> bool {
        let Some(target) = Target::of(url) else {
            return false;
        };
        match &self.mode {
            Mode::Pinned(pin) => pin
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .is_none_or(|p| p.is(&target)),
            Mode::Hosts(hosts) => hosts.iter().any(|h| h.matches(&target)),
        }
    }

    /// Whether credentials may go to `url`, pinning an unpinned scope to its origin (atomically,
    /// so two first requests to different origins cannot both get credentials).
    pub fn claim(&self, url: &UrlBuilder) -> bool {
        let Some(target) = Target::of(url) else {
            return false;
        };
        match &self.mode {
            Mode::Pinned(pin) => {
                let mut pin = pin.lock().unwrap_or_else(PoisonError::into_inner);
                match pin.as_ref() {
                    Some(p) => p.is(&target),
                    None => {
                        *pin = Some(Origin::of(&target));
                        true
                    }
                }
            }
            Mode::Hosts(hosts) => hosts.iter().any(|h| h.matches(&target)),
        }
    }

    /// Unpins a pinned scope (the provider's token was cleared); a host list is unchanged.
    pub fn reset(&self) {
        if let Mode::Pinned(pin) = &self.mode {
            *pin.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HostScope;
    use crate::client::url::UrlBuilder;

    fn url(s: &str) -> UrlBuilder {
        UrlBuilder::parse(s)
    }

    #[test]
    fn pinned_scope_compares_scheme_host_and_effective_port() {
        let scope = HostScope::pinned();
        assert!(scope.claim(&url("http://a.test/x")));
        assert!(scope.allows(&url("http://A.TEST:80/y")));
        assert!(!scope.allows(&url("https://a.test/")));
        assert!(!scope.allows(&url("http://a.test:8080/")));
    }

    #[test]
    fn a_url_without_host_never_gets_credentials() {
        assert!(!HostScope::pinned().claim(&url("/relative")));
    }

    #[test]
    fn host_list_matches_ipv6_and_ports() {
        let scope = HostScope::hosts(["[::1]:8080", "127.0.0.1"]);
        assert!(scope.allows(&url("http://[::1]:8080/")));
        assert!(!scope.allows(&url("http://[::1]:8081/")));
        assert!(scope.claim(&url("http://127.0.0.1:1234/")));
        scope.reset();
        assert!(!scope.allows(&url("http://localhost/")));
    }
}
