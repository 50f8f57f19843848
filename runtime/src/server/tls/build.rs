//! Building a rustls `ServerConfig` from [`TlsSettings`]: the key store's chain and key (checked:
//! key matches, leaf not expired, leaf not a CA, RSA keys of 2048 bits or more; EC keys without
//! their public key are completed), the enabled versions, the client-certificate
//! verifier from the trust store, ALPN `h2` + `http/1.1`.
use std::{path::Path, sync::Arc};

use rustls::{
    crypto::CryptoProvider,
    server::WebPkiClientVerifier,
    sign::{CertifiedKey, SingleCertAndKey},
    RootCertStore,
};
use rustls_pki_types::CertificateDer;

use super::{
    error::{TlsError, TlsErrorKind},
    key,
    settings::{ClientAuth, TlsProtocol, TlsSettings},
    store,
};
use crate::config::keys;

/// The protocols offered over TLS, in preference order.
pub(crate) const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads the stores of `settings` and builds the rustls config they describe.
pub(crate) fn server_config(settings: &TlsSettings) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let identity = store::load_identity(settings)?;
    check_leaf(&identity.chain, &settings.key_store)?;
    let private_key = key::completed(identity.key, &provider);
    let certified = CertifiedKey::from_der(identity.chain, private_key, &provider)
        .map_err(|e| key_error(e, &settings.key_store))?;

    let protocols = settings
        .enabled_protocols
        .clone()
        .unwrap_or_else(|| vec![TlsProtocol::Tls13, TlsProtocol::Tls12]);
    if protocols.is_empty() {
        return Err(TlsError::new(
            keys::SSL_ENABLED_PROTOCOLS,
            TlsErrorKind::UnknownValue,
            format!(
                "the list is empty; allowed values: {}",
                TlsProtocol::ALLOWED
            ),
        ));
    }
    let versions: Vec<_> = protocols.iter().map(|p| p.rustls()).collect();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| {
            TlsError::new(
                keys::SSL_ENABLED_PROTOCOLS,
                TlsErrorKind::UnknownValue,
                e.to_string(),
            )
        })?;
    let builder = match &settings.trust_store {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let certs = store::load_trust_store(path, settings.trust_store_password.as_deref())?;
            let verifier = client_verifier(certs, path, settings.client_auth, &provider)?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn client_verifier(
    certs: Vec<CertificateDer<'static>>,
    path: &Path,
    client_auth: ClientAuth,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| {
            TlsError::about_file(
                keys::SSL_TRUST_STORE,
                TlsErrorKind::Invalid,
                path,
                format!("unusable trust anchor: {e}"),
            )
        })?;
    }
    let mut verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if client_auth == ClientAuth::Optional {
        verifier = verifier.allow_unauthenticated();
    }
    verifier.build().map_err(|e| {
        TlsError::about_file(
            keys::SSL_TRUST_STORE,
            TlsErrorKind::Invalid,
            path,
            format!("cannot verify clients with it: {e}"),
        )
    })
}

fn key_error(e: rustls::Error, path: &Path) -> TlsError {
    match e {
        rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
            TlsError::about_file(
                keys::SSL_KEY_STORE,
                TlsErrorKind::KeyMismatch,
                path,
                "the private key does not match the certificate",
            )
        }
        e => TlsError::about_file(
            keys::SSL_KEY_STORE,
            TlsErrorKind::Invalid,
            path,
            format!("unusable private key: {e}"),
        ),
    }
}

/// The leaf must be a valid X.509 certificate, valid now, not a CA (rustls clients reject a CA
/// certificate as a server's), and not for an RSA key under 2048 bits (ring refuses those keys;
/// Ktor's `buildKeyStore` and old keytool defaults make 1024-bit ones).
fn check_leaf(chain: &[CertificateDer<'static>], path: &Path) -> Result<(), TlsError> {
    let invalid =
        |what: String| TlsError::about_file(keys::SSL_KEY_STORE, TlsErrorKind::Invalid, path, what);
    let leaf = chain
        .first()
        .ok_or_else(|| invalid("the key has no certificate".to_owned()))?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf)
        .map_err(|e| invalid(format!("bad certificate: {e}")))?;
    let validity = cert.validity();
    let now = x509_parser::time::ASN1Time::now();
    if validity.not_after < now {
        return Err(TlsError::about_file(
            keys::SSL_KEY_STORE,
            TlsErrorKind::Expired,
            path,
            format!("the certificate expired on {}", validity.not_after),
        ));
    }
    if validity.not_before > now {
        return Err(TlsError::about_file(
            keys::SSL_KEY_STORE,
            TlsErrorKind::Expired,
            path,
            format!(
                "the certificate is not valid before {}",
                validity.not_before
            ),
        ));
    }
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = cert.public_key().parsed() {
        let bits = rsa.key_size();
        if bits < 2048 {
            return Err(invalid(format!(
                "the certificate's key is a {bits}-bit RSA key; RSA keys under 2048 bits are not \
                 supported by the TLS library (rustls with ring) — make a 2048-bit or larger RSA \
                 key, or an EC P-256 key"
            )));
        }
    }
    if let Ok(Some(bc)) = cert.basic_constraints() {
        if bc.value.ca {
            return Err(invalid(
                "the certificate is a CA certificate (basicConstraints CA:TRUE); TLS clients \
                 refuse it as a server certificate — issue a leaf (CA:FALSE) with it instead"
                    .to_owned(),
            ));
        }
    }
    Ok(())
}
