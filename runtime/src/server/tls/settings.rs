//! [`TlsSettings`]: Ktor's `ktor.security.ssl.*` keys as a builder, plus oxtor's `clientAuth` and
//! `watchInterval`.
use std::{fmt, path::PathBuf, str::FromStr, time::Duration};

use super::error::{TlsError, TlsErrorKind};
use crate::config::keys;

/// Where the key store and trust store are and how to use them: one HTTPS connector's settings.
///
/// Built from Ktor's keys by [`Config::tls_settings`](crate::config::Config::tls_settings), or by
/// hand. Nothing is read until [`Tls::load`](super::Tls::load).
/// See the [module docs](crate::server::tls).
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub(crate) key_store: PathBuf,
    pub(crate) key_alias: String,
    pub(crate) key_store_password: Option<String>,
    pub(crate) private_key_password: Option<String>,
    pub(crate) trust_store: Option<PathBuf>,
    pub(crate) trust_store_password: Option<String>,
    pub(crate) enabled_protocols: Option<Vec<TlsProtocol>>,
    pub(crate) client_auth: ClientAuth,
    pub(crate) watch_interval: Option<Duration>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |p: &Option<String>| p.as_ref().map(|_| "<hidden>");
        f.debug_struct("TlsSettings")
            .field("key_store", &self.key_store)
            .field("key_alias", &self.key_alias)
            .field("key_store_password", &hidden(&self.key_store_password))
            .field("private_key_password", &hidden(&self.private_key_password))
            .field("trust_store", &self.trust_store)
            .field("trust_store_password", &hidden(&self.trust_store_password))
            .field("enabled_protocols", &self.enabled_protocols)
            .field("client_auth", &self.client_auth)
            .field("watch_interval", &self.watch_interval)
            .finish()
    }
}

/// Ktor's default `keyAlias`.
pub const DEFAULT_KEY_ALIAS: &str = "mykey";

impl TlsSettings {
    /// Serves the key in `key_store` (PKCS#12, JKS, or PEM with the chain and the key), alias
    /// `mykey`, every protocol rustls offers (TLS 1.2 and 1.3), no client certificates.
    pub fn new(key_store: impl Into<PathBuf>) -> Self {
        Self {
            key_store: key_store.into(),
            key_alias: DEFAULT_KEY_ALIAS.to_owned(),
            key_store_password: None,
            private_key_password: None,
            trust_store: None,
            trust_store_password: None,
            enabled_protocols: None,
            client_auth: ClientAuth::Required,
            watch_interval: None,
        }
    }

    /// The entry of the key store to serve (`keyAlias`, default `mykey`); PEM stores ignore it.
    #[must_use]
    pub fn key_alias(mut self, alias: impl Into<String>) -> Self {
        self.key_alias = alias.into();
        self
    }

    /// The key store's password (`keyStorePassword`; required for PKCS#12 and JKS).
    #[must_use]
    pub fn key_store_password(mut self, password: impl Into<String>) -> Self {
        self.key_store_password = Some(password.into());
        self
    }

    /// The private key's password (`privateKeyPassword`; required for PKCS#12 and JKS).
    #[must_use]
    pub fn private_key_password(mut self, password: impl Into<String>) -> Self {
        self.private_key_password = Some(password.into());
        self
    }

    /// Verifies client certificates against the certificates in `trust_store` (`trustStore`: a
    /// PEM bundle, PKCS#12 or JKS): mutual TLS, required unless [`client_auth`](Self::client_auth)
    /// says otherwise.
    #[must_use]
    pub fn trust_store(mut self, trust_store: impl Into<PathBuf>) -> Self {
        self.trust_store = Some(trust_store.into());
        self
    }

    /// The trust store's password (`trustStorePassword`; none loads it without one).
    #[must_use]
    pub fn trust_store_password(mut self, password: impl Into<String>) -> Self {
        self.trust_store_password = Some(password.into());
        self
    }

    /// The protocol versions to offer (`enabledProtocols`); by default every one rustls offers.
    #[must_use]
    pub fn enabled_protocols(mut self, protocols: impl IntoIterator<Item = TlsProtocol>) -> Self {
        self.enabled_protocols = Some(protocols.into_iter().collect());
        self
    }

    /// Whether a client must present a certificate when a trust store is set (`clientAuth`,
    /// default [`ClientAuth::Required`] as in Ktor).
    #[must_use]
    pub fn client_auth(mut self, client_auth: ClientAuth) -> Self {
        self.client_auth = client_auth;
        self
    }

    /// Also reloads the stores when their files change, checking every `interval`
    /// (`watchInterval`; off by default — SIGHUP and [`Tls::reload`](super::Tls::reload) always
    /// reload).
    #[must_use]
    pub fn watch_interval(mut self, interval: Option<Duration>) -> Self {
        self.watch_interval = interval;
        self
    }

    /// The key store file.
    pub fn key_store_path(&self) -> &std::path::Path {
        &self.key_store
    }

    /// The trust store file, if any.
    pub fn trust_store_path(&self) -> Option<&std::path::Path> {
        self.trust_store.as_deref()
    }
}

/// A TLS protocol version of `enabledProtocols`. rustls offers TLS 1.2 and 1.3 only; `TLSv1`,
/// `TLSv1.1` and `SSLv3` are rejected with the allowed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsProtocol {
    /// `TLSv1.2`.
    Tls12,
    /// `TLSv1.3`.
    Tls13,
}

impl TlsProtocol {
    /// The allowed spellings, for error messages.
    pub const ALLOWED: &'static str = "\"TLSv1.2\", \"TLSv1.3\"";

    /// Ktor's (Java's) name: `TLSv1.2`, `TLSv1.3`.
    pub fn name(self) -> &'static str {
        match self {
            TlsProtocol::Tls12 => "TLSv1.2",
            TlsProtocol::Tls13 => "TLSv1.3",
        }
    }

    pub(crate) fn rustls(self) -> &'static rustls::SupportedProtocolVersion {
        match self {
            TlsProtocol::Tls12 => &rustls::version::TLS12,
            TlsProtocol::Tls13 => &rustls::version::TLS13,
        }
    }
}

impl fmt::Display for TlsProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TlsProtocol {
    type Err = TlsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "TLSv1.2" => Ok(TlsProtocol::Tls12),
            "TLSv1.3" => Ok(TlsProtocol::Tls13),
            other => {
                let why = match other {
                    "TLSv1" | "TLSv1.1" | "SSLv3" | "SSLv2Hello" => {
                        " (rustls does not offer this obsolete protocol)"
                    }
                    _ => "",
                };
                Err(TlsError::new(
                    keys::SSL_ENABLED_PROTOCOLS,
                    TlsErrorKind::UnknownValue,
                    format!(
                        "{other:?} is not a supported TLS protocol{why}; allowed values: {}",
                        Self::ALLOWED
                    ),
                ))
            }
        }
    }
}

/// Whether clients must present a certificate when a trust store is set (`clientAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// `required` (Ktor's only behaviour): a client without a trusted certificate is refused.
    #[default]
    Required,
    /// `optional`: a client without a certificate is served (a handler sees no
    /// [`PeerCertificates`](super::PeerCertificates)); one with an untrusted certificate is still
    /// refused.
    Optional,
}

impl FromStr for ClientAuth {
    type Err = TlsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "required" => Ok(ClientAuth::Required),
            "optional" => Ok(ClientAuth::Optional),
            other => Err(TlsError::new(
                keys::SSL_CLIENT_AUTH,
                TlsErrorKind::UnknownValue,
                format!("{other:?} is not a client auth mode; allowed values: \"required\", \"optional\""),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_parse_and_obsolete_ones_say_why() {
        assert_eq!(
            "TLSv1.3".parse::<TlsProtocol>().ok(),
            Some(TlsProtocol::Tls13)
        );
        let err = "TLSv1.1".parse::<TlsProtocol>().unwrap_err();
        assert_eq!(err.key(), keys::SSL_ENABLED_PROTOCOLS);
        assert!(err.message().contains("obsolete"), "{err}");
        assert!(err.message().contains(TlsProtocol::ALLOWED), "{err}");
        assert!("tls1.3".parse::<TlsProtocol>().is_err());
    }

    #[test]
    fn client_auth_parses_its_two_values() {
        assert_eq!(
            "optional".parse::<ClientAuth>().ok(),
            Some(ClientAuth::Optional)
        );
        assert_eq!(
            "required".parse::<ClientAuth>().ok(),
            Some(ClientAuth::Required)
        );
        assert_eq!(
            "want".parse::<ClientAuth>().unwrap_err().key(),
            keys::SSL_CLIENT_AUTH
        );
    }

    #[test]
    fn debug_hides_passwords() {
        let s = TlsSettings::new("k.p12").key_store_password("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
