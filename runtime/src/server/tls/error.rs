//! [`TlsError`]: why a key store, a trust store or a TLS setting was rejected, naming the config
//! key and the file.
use std::{fmt, path::Path};

/// What kind of problem a [`TlsError`] reports, for code that reacts to one in particular.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// A required setting is missing (Ktor's `SSL requires keystore: ...`).
    Missing,
    /// A store file cannot be read.
    Unreadable,
    /// A store's password is wrong (its integrity check or the key's decryption failed).
    WrongPassword,
    /// `keyAlias` names no private-key entry of the key store.
    AliasNotFound,
    /// A store is not PEM, PKCS#12 or JKS, or holds something rustls cannot use.
    Invalid,
    /// The private key does not belong to the certificate.
    KeyMismatch,
    /// The server certificate has expired or is not valid yet.
    Expired,
    /// An `enabledProtocols` or `clientAuth` value is not one oxtor knows.
    UnknownValue,
}

/// A rejected TLS setting or store: the config key it is about and what is wrong, with the file.
///
/// `ktor.security.ssl.keyStorePassword: wrong password for the key store certs/server.p12`.
/// Loaded through [`EngineMain`](crate::config::EngineMain), the error also names the config file
/// and line the key came from. See the [module docs](crate::server::tls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError {
    key: &'static str,
    kind: TlsErrorKind,
    message: String,
}

impl TlsError {
    pub(crate) fn new(key: &'static str, kind: TlsErrorKind, message: impl Into<String>) -> Self {
        Self {
            key,
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn about_file(
        key: &'static str,
        kind: TlsErrorKind,
        path: &Path,
        what: impl fmt::Display,
    ) -> Self {
        Self::new(key, kind, format!("{what} ({})", path.display()))
    }

    /// The config key the problem is about, e.g. `ktor.security.ssl.keyStorePassword`.
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> TlsErrorKind {
        self.kind
    }

    /// What is wrong, naming the file when a file is involved (without the key).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for TlsError {}

impl From<TlsError> for crate::ConfigError {
    fn from(e: TlsError) -> Self {
        crate::ConfigError::new(e.key, e.message)
    }
}

impl From<TlsError> for crate::Error {
    fn from(e: TlsError) -> Self {
        crate::Error::Config(e.into())
    }
}
