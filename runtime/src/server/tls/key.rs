//! Private keys as ring takes them. RFC 5915 makes the public key of an EC private key optional
//! and Java's `keytool` leaves it out; ring requires it. A P-256 or P-384 key without it gets
//! it back here, derived from the private scalar and re-encoded as PKCS#8.
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rustls::crypto::CryptoProvider;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// `key` as ring can load it: unchanged when ring takes it, re-encoded with its public key when
/// it is a P-256 or P-384 key (PKCS#8 or SEC1) that ring refuses, unchanged otherwise (the
/// caller reports ring's refusal).
pub(crate) fn completed(
    key: PrivateKeyDer<'static>,
    provider: &CryptoProvider,
) -> PrivateKeyDer<'static> {
    if provider
        .key_provider
        .load_private_key(key.clone_key())
        .is_ok()
    {
        return key;
    }
    let pkcs8 = match &key {
        PrivateKeyDer::Pkcs8(der) => ec_from_pkcs8(der.secret_pkcs8_der()),
        PrivateKeyDer::Sec1(der) => ec_from_sec1(der.secret_sec1_der()),
        _ => None,
    };
    pkcs8.map_or(key, |der| PrivatePkcs8KeyDer::from(der).into())
}

/// The PKCS#8 encoding, with the public key, of a P-256 or P-384 PKCS#8 key.
fn ec_from_pkcs8(der: &[u8]) -> Option<Vec<u8>> {
    if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
        return key.to_pkcs8_der().ok().map(|d| d.as_bytes().to_vec());
    }
    let key = p384::SecretKey::from_pkcs8_der(der).ok()?;
    key.to_pkcs8_der().ok().map(|d| d.as_bytes().to_vec())
}

/// The PKCS#8 encoding, with the public key, of a P-256 or P-384 SEC1 (`EC PRIVATE KEY`) key.
/// P-256 first: without the curve parameter, a 48-byte scalar is too long for it, while a
/// 32-byte one would pass as a padded P-384 scalar.
fn ec_from_sec1(der: &[u8]) -> Option<Vec<u8>> {
    if let Ok(key) = p256::SecretKey::from_sec1_der(der) {
        return key.to_pkcs8_der().ok().map(|d| d.as_bytes().to_vec());
    }
    let key = p384::SecretKey::from_sec1_der(der).ok()?;
    key.to_pkcs8_der().ok().map(|d| d.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> CryptoProvider {
        rustls::crypto::ring::default_provider()
    }

    /// PKCS#8 of a P-256 key whose ECPrivateKey has no public key, as keytool writes it.
    fn p256_without_public_key() -> Vec<u8> {
        let key = p256::SecretKey::from_slice(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
        let scalar = key.to_bytes();
        // ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING (32) }
        let mut ec = vec![0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20];
        ec.extend_from_slice(&scalar);
        // AlgorithmIdentifier { id-ecPublicKey, prime256v1 }
        let alg: [u8; 21] = [
            0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
            0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        ];
        let mut body = vec![0x02, 0x01, 0x00];
        body.extend_from_slice(&alg);
        body.push(0x04);
        body.push(ec.len() as u8);
        body.extend_from_slice(&ec);
        let mut der = vec![0x30, body.len() as u8];
        der.extend_from_slice(&body);
        der
    }

    #[test]
    fn p256_key_without_public_key_is_completed_for_ring() {
        let der = p256_without_public_key();
        let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(der.clone()));
        assert!(provider()
            .key_provider
            .load_private_key(key.clone_key())
            .is_err());
        let completed = completed(key, &provider());
        assert_ne!(completed.secret_der(), der.as_slice());
        assert!(provider().key_provider.load_private_key(completed).is_ok());
    }

    #[test]
    fn a_key_ring_takes_is_left_as_it_is() {
        let key = p256::SecretKey::from_slice(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
        let der = key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default();
        let completed = completed(PrivatePkcs8KeyDer::from(der.clone()).into(), &provider());
        assert_eq!(completed.secret_der(), der.as_slice());
    }

    #[test]
    fn garbage_is_left_for_ring_to_refuse() {
        let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(vec![0x30, 0x00]));
        assert_eq!(completed(key, &provider()).secret_der(), &[0x30, 0x00]);
    }
}
