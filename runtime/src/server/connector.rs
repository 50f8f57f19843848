//! [`Connector`]: one listener of the engine, plain or wrapped (TLS). A server has one or more;
//! all serve the same application.
use std::{fmt, sync::Arc};

use super::hooks::StreamWrapper;

/// A listener of the engine: where it binds and, for HTTPS, the stream wrapper that does the TLS
/// handshake. As Ktor's `connector { }` / `sslConnector { }`: with `ktor.deployment.port` and
/// `sslPort` both set, a server has a plain and a TLS connector serving the same application.
///
/// A connector's wrapper runs first; a wrapper the application installed
/// ([`EngineHooks::wrap_stream`](super::EngineHooks::wrap_stream)) then runs on the stream it
/// produced, on every connector. See the [module docs](crate::server).
#[derive(Clone)]
pub struct Connector {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) wrapper: Option<Arc<dyn StreamWrapper>>,
    pub(crate) secure: bool,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<super::tls::Tls>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("wrapped", &self.wrapper.is_some())
            .field("secure", &self.secure)
            .finish()
    }
}

impl Connector {
    /// Plain HTTP (HTTP/1.1 and h2c) on `host:port`; port 0 picks a free one.
    pub fn http(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            wrapper: None,
            secure: false,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// HTTPS on `host:port` with `tls` (HTTP/1.1 and h2 by ALPN).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn https(host: impl Into<String>, port: u16, tls: super::tls::Tls) -> Self {
        Self {
            host: host.into(),
            port,
            wrapper: Some(Arc::new(tls.clone())),
            secure: true,
            tls: Some(tls),
        }
    }

    /// `host:port` with any stream wrapper of this connector's own (a TLS stack other than
    /// oxtor's, say); `secure` says whether it encrypts.
    pub fn wrapped(
        host: impl Into<String>,
        port: u16,
        wrapper: impl StreamWrapper,
        secure: bool,
    ) -> Self {
        Self {
            host: host.into(),
            port,
            wrapper: Some(Arc::new(wrapper)),
            secure,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// The host it binds.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port it binds (0: a free one).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether it serves over TLS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The TLS configuration of an [`https`](Self::https) connector, to reload it.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn tls(&self) -> Option<&super::tls::Tls> {
        self.tls.as_ref()
    }
}
