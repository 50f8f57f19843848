//! [`PeerCertificates`]: the client's verified certificate chain, as an extractor.
use std::{convert::Infallible, sync::Arc};

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    response::{IntoResponse, Response},
};
use http::{request::Parts, StatusCode};
use rustls_pki_types::CertificateDer;

/// The certificate chain a client presented and the server verified against its trust store
/// (mutual TLS), leaf first. Every request of the connection carries it.
///
/// As an extractor it rejects a request without one (a plain connection, or `clientAuth =
/// optional` and no certificate) with `401 Unauthorized`; take `Option<PeerCertificates>` to
/// serve both. See the [module docs](crate::server::tls).
#[derive(Clone, Debug)]
pub struct PeerCertificates {
    inner: Arc<Parsed>,
}

#[derive(Debug)]
struct Parsed {
    chain: Vec<CertificateDer<'static>>,
    subject: String,
    common_name: Option<String>,
    subject_alt_names: Vec<String>,
    serial: String,
}

impl PeerCertificates {
    /// Parses the leaf of a verified chain; `None` for an empty chain or a leaf that does not
    /// parse (rustls verified it, so that does not happen).
    pub(crate) fn new(chain: Vec<CertificateDer<'static>>) -> Option<Self> {
        let leaf = chain.first()?;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf).ok()?;
        let subject = cert.subject().to_string();
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned);
        let subject_alt_names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|ext| {
                ext.value
                    .general_names
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let serial = cert.raw_serial_as_string();
        Some(Self {
            inner: Arc::new(Parsed {
                subject,
                common_name,
                subject_alt_names,
                serial,
                chain,
            }),
        })
    }

    /// The leaf's subject, RFC 4514 style: `CN=alice, O=oxtor`.
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The leaf's first common name (`CN`), if any.
    pub fn common_name(&self) -> Option<&str> {
        self.inner.common_name.as_deref()
    }

    /// The leaf's subject alternative names as `DNSName(alice.example)`, `RFC822Name(a@b)`, ...
    pub fn subject_alt_names(&self) -> &[String] {
        &self.inner.subject_alt_names
    }

    /// The leaf's serial number, as colon-separated hex bytes (`2f:a1:...`).
    pub fn serial(&self) -> &str {
        &self.inner.serial
    }

    /// The whole chain as DER, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.inner.chain
    }

    /// The leaf certificate as DER.
    pub fn leaf_der(&self) -> &[u8] {
        // `new` refuses an empty chain.
        self.inner.chain.first().map_or(&[], |c| c.as_ref())
    }
}

/// Rejection of [`PeerCertificates`] when the connection has no client certificate.
#[derive(Debug, Clone, Copy, Default)]
pub struct MissingPeerCertificates;

impl IntoResponse for MissingPeerCertificates {
    fn into_response(self) -> Response {
        (StatusCode::UNAUTHORIZED, "client certificate required").into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PeerCertificates {
    type Rejection = MissingPeerCertificates;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<PeerCertificates>()
            .cloned()
            .ok_or(MissingPeerCertificates)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for PeerCertificates {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<PeerCertificates>().cloned())
    }
}
