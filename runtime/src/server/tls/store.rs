//! Reading key stores and trust stores: PEM, PKCS#12 (`p12-keystore`) and JKS (`jks`), told
//! apart by their first bytes, whatever the file is called.
use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    path::Path,
};

use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{
    error::{TlsError, TlsErrorKind},
    settings::TlsSettings,
};
use crate::config::keys;

/// A certificate chain (leaf first) and its private key, as read from a key store.
pub(crate) struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pem,
    Pkcs12,
    Jks,
}

/// JKS files start with 0xFEEDFEED.
const JKS_MAGIC: [u8; 4] = [0xfe, 0xed, 0xfe, 0xed];

fn detect(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&JKS_MAGIC) {
        Some(Format::Jks)
    } else if bytes.first() == Some(&0x30) {
        // A DER SEQUENCE: PKCS#12's PFX.
        Some(Format::Pkcs12)
    } else if bytes
        .windows(b"-----BEGIN ".len())
        .any(|w| w == b"-----BEGIN ")
    {
        Some(Format::Pem)
    } else {
        None
    }
}

fn read(key: &'static str, path: &Path) -> Result<(Vec<u8>, Format), TlsError> {
    let bytes = std::fs::read(path).map_err(|e| {
        TlsError::new(
            key,
            TlsErrorKind::Unreadable,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let format = detect(&bytes).ok_or_else(|| {
        TlsError::about_file(
            key,
            TlsErrorKind::Invalid,
            path,
            "not a PEM, PKCS#12 or JKS store",
        )
    })?;
    Ok((bytes, format))
}

/// Reads the key store of `settings`: the `keyAlias` entry of a PKCS#12 or JKS store, or the
/// chain and key of a PEM file.
pub(crate) fn load_identity(settings: &TlsSettings) -> Result<Identity, TlsError> {
    let path = settings.key_store.as_path();
    let (bytes, format) = read(keys::SSL_KEY_STORE, path)?;
    let require = |value: &Option<String>, key: &'static str, what: &str| {
        value.clone().ok_or_else(|| {
            TlsError::new(
                key,
                TlsErrorKind::Missing,
                format!("SSL requires {what}: use {key} config"),
            )
        })
    };
    match format {
        Format::Pem => pem_identity(&bytes, path),
        Format::Pkcs12 => {
            let password = require(
                &settings.key_store_password,
                keys::SSL_KEY_STORE_PASSWORD,
                "keystore password",
            )?;
            let key_password = require(
                &settings.private_key_password,
                keys::SSL_PRIVATE_KEY_PASSWORD,
                "certificate password",
            )?;
            pkcs12_identity(&bytes, path, &password, &key_password, &settings.key_alias)
        }
        Format::Jks => {
            let password = require(
                &settings.key_store_password,
                keys::SSL_KEY_STORE_PASSWORD,
                "keystore password",
            )?;
            let key_password = require(
                &settings.private_key_password,
                keys::SSL_PRIVATE_KEY_PASSWORD,
                "certificate password",
            )?;
            jks_identity(&bytes, path, &password, &key_password, &settings.key_alias)
        }
    }
}

fn pem_identity(bytes: &[u8], path: &Path) -> Result<Identity, TlsError> {
    let invalid =
        |what: String| TlsError::about_file(keys::SSL_KEY_STORE, TlsErrorKind::Invalid, path, what);
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || text.contains("Proc-Type: 4,ENCRYPTED")
    {
        return Err(invalid(
            "the PEM private key is encrypted; decrypt it (`openssl pkey -in key.pem -out \
             plain.pem`) or use a PKCS#12 key store"
                .to_owned(),
        ));
    }
    let chain = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("bad PEM certificate: {e}")))?;
    if chain.is_empty() {
        return Err(invalid("a PEM key store needs the certificate chain and the private key; it has no certificate".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_slice(bytes).map_err(|e| {
        match e {
        rustls_pki_types::pem::Error::NoItemsFound => invalid(
            "a PEM key store needs the certificate chain and the private key; it has no private key"
                .to_owned(),
        ),
        e => invalid(format!("bad PEM private key: {e}")),
    }
    })?;
    Ok(Identity { chain, key })
}

/// The `alias` entry of a PKCS#12 store. `password` checks the store's integrity (its MAC);
/// the key is decrypted with `key_password`, as Java's `getKey(alias, privateKeyPassword)` does.
/// `p12-keystore` decrypts every bag with one password, so when the two differ the store is
/// opened again without its (already checked) MAC, with `key_password` for the bags.
fn pkcs12_identity(
    bytes: &[u8],
    path: &Path,
    password: &str,
    key_password: &str,
    alias: &str,
) -> Result<Identity, TlsError> {
    let strict = p12_keystore::Pkcs12ImportPolicy::Strict;
    let opened = open_pkcs12(bytes, path, password, keys::SSL_KEY_STORE_PASSWORD, strict);
    let store = match opened {
        Ok(store) if key_password == password => store,
        Err(e) if key_password == password || e.kind() == TlsErrorKind::WrongPassword => {
            return Err(e)
        }
        // The MAC holds (or there is none); decrypt the bags with the key password.
        opened => {
            let reopened = without_mac(bytes).and_then(|unsigned| {
                catch_unwind(|| {
                    p12_keystore::KeyStore::from_pkcs12(&unsigned, key_password, strict)
                })
                .ok()
                .and_then(Result::ok)
            });
            match (reopened, opened) {
                (Some(store), _) => store,
                (None, Err(e)) => return Err(e),
                (None, Ok(_)) => {
                    return Err(TlsError::about_file(
                        keys::SSL_PRIVATE_KEY_PASSWORD,
                        TlsErrorKind::WrongPassword,
                        path,
                        format!("cannot decrypt the key {alias}: wrong password"),
                    ))
                }
            }
        }
    };
    let entry = store.entry(alias).or_else(|| {
        // Java lower-cases PKCS#12 aliases; accept the alias in any case.
        store
            .entries()
            .find(|(name, _)| name.eq_ignore_ascii_case(alias))
            .map(|(_, entry)| entry)
    });
    let Some(p12_keystore::KeyStoreEntry::PrivateKeyChain(chain)) = entry else {
        return Err(alias_not_found(alias, path));
    };
    Ok(Identity {
        chain: chain
            .certs()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect(),
        key: PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec()).into(),
    })
}

fn open_pkcs12(
    bytes: &[u8],
    path: &Path,
    password: &str,
    password_key: &'static str,
    policy: p12_keystore::Pkcs12ImportPolicy,
) -> Result<p12_keystore::KeyStore, TlsError> {
    let store_key = if password_key == keys::SSL_KEY_STORE_PASSWORD {
        keys::SSL_KEY_STORE
    } else {
        keys::SSL_TRUST_STORE
    };
    match catch_unwind(|| p12_keystore::KeyStore::from_pkcs12(bytes, password, policy)) {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(p12_keystore::error::Error::MacError(_))) => Err(TlsError::about_file(
            password_key,
            TlsErrorKind::WrongPassword,
            path,
            "wrong password for the PKCS#12 store",
        )),
        Ok(Err(e)) => Err(TlsError::about_file(
            store_key,
            TlsErrorKind::Invalid,
            path,
            format!("not a readable PKCS#12 store: {e}"),
        )),
        Err(_) => Err(TlsError::about_file(
            store_key,
            TlsErrorKind::Invalid,
            path,
            "not a readable PKCS#12 store",
        )),
    }
}

/// A PKCS#12 PFX without its optional `macData`: `SEQUENCE { version, authSafe }` re-wrapped.
/// `None` when `bytes` is not a DER SEQUENCE of at least two elements.
fn without_mac(bytes: &[u8]) -> Option<Vec<u8>> {
    let (header, len) = der_header(bytes)?;
    let content = bytes.get(header..header.checked_add(len)?)?;
    let mut kept = 0;
    for _ in 0..2 {
        let (h, l) = der_header(content.get(kept..)?)?;
        kept = kept.checked_add(h)?.checked_add(l)?;
    }
    let kept = content.get(..kept)?;
    let mut out = vec![0x30];
    match kept.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n <= 0xff => out.extend([0x81, n as u8]),
        n if n <= 0xffff => out.extend([0x82, (n >> 8) as u8, n as u8]),
        n => out.extend([0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(kept);
    Some(out)
}

/// The header length and the content length of the DER element at the start of `bytes`
/// (single-byte tags, definite lengths up to four bytes).
fn der_header(bytes: &[u8]) -> Option<(usize, usize)> {
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let len = bytes
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some((2 + n, len))
}

fn jks_identity(
    bytes: &[u8],
    path: &Path,
    password: &str,
    key_password: &str,
    alias: &str,
) -> Result<Identity, TlsError> {
    let store = open_jks(bytes, path, password, keys::SSL_KEY_STORE_PASSWORD)?;
    if !store.is_private_key_entry(alias) {
        return Err(alias_not_found(alias, path));
    }
    let entry = catch_unwind(AssertUnwindSafe(|| {
        store.get_private_key_entry(alias, key_password.as_bytes())
    }));
    let Ok(Ok(entry)) = entry else {
        return Err(TlsError::about_file(
            keys::SSL_PRIVATE_KEY_PASSWORD,
            TlsErrorKind::WrongPassword,
            path,
            format!("cannot decrypt the key {alias}: wrong password"),
        ));
    };
    Ok(Identity {
        chain: entry
            .certificate_chain
            .into_iter()
            .map(|c| CertificateDer::from(c.content))
            .collect(),
        key: PrivatePkcs8KeyDer::from(entry.private_key).into(),
    })
}

fn open_jks(
    bytes: &[u8],
    path: &Path,
    password: &str,
    password_key: &'static str,
) -> Result<jks::KeyStore, TlsError> {
    let store_key = if password_key == keys::SSL_KEY_STORE_PASSWORD {
        keys::SSL_KEY_STORE
    } else {
        keys::SSL_TRUST_STORE
    };
    let loaded = catch_unwind(|| {
        let mut store = jks::KeyStore::new();
        store.load(bytes, password.as_bytes()).map(|()| store)
    });
    match loaded {
        Ok(Ok(store)) => Ok(store),
        Ok(Err(jks::KeyStoreError::InvalidDigest)) => Err(TlsError::about_file(
            password_key,
            TlsErrorKind::WrongPassword,
            path,
            "wrong password for the JKS store",
        )),
        Ok(Err(e)) => Err(TlsError::about_file(
            store_key,
            TlsErrorKind::Invalid,
            path,
            format!("not a readable JKS store: {e}"),
        )),
        Err(_) => Err(TlsError::about_file(
            store_key,
            TlsErrorKind::Invalid,
            path,
            "not a readable JKS store",
        )),
    }
}

/// The trusted certificates of a JKS store read without a password: as Java's
/// `KeyStore.load(stream, null)`, the entries are read and the integrity digest (keyed by the
/// password) is not checked.
fn jks_trusted_unchecked(
    bytes: &[u8],
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read = catch_unwind(|| {
        let mut reader = bytes;
        let mut decoder = jks::decoder::Decoder::new(&mut reader);
        if decoder.read_u32()? != jks::common::MAGIC {
            return Err(jks::KeyStoreError::InvalidMagic);
        }
        let version = decoder.read_u32()?;
        let count = decoder.read_u32()?;
        let mut certs = Vec::new();
        for _ in 0..count {
            if let (_, jks::Entry::TrustedCertificate(entry)) = decoder.read_entry(version)? {
                certs.push(CertificateDer::from(entry.certificate.content));
            }
        }
        Ok(certs)
    });
    match read {
        Ok(Ok(certs)) => Ok(certs),
        Ok(Err(e)) => Err(TlsError::about_file(
            keys::SSL_TRUST_STORE,
            TlsErrorKind::Invalid,
            path,
            format!("not a readable JKS store: {e}"),
        )),
        Err(_) => Err(TlsError::about_file(
            keys::SSL_TRUST_STORE,
            TlsErrorKind::Invalid,
            path,
            "not a readable JKS store",
        )),
    }
}

fn alias_not_found(alias: &str, path: &Path) -> TlsError {
    // Ktor's message.
    TlsError::new(
        keys::SSL_KEY_ALIAS,
        TlsErrorKind::AliasNotFound,
        format!(
            "The specified key {alias} doesn't exist in the key store {}",
            path.display()
        ),
    )
}

/// Reads the certificates of a trust store: every certificate of a PEM bundle, every
/// certificate of a PKCS#12 or JKS store.
pub(crate) fn load_trust_store(
    path: &Path,
    password: Option<&str>,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let (bytes, format) = read(keys::SSL_TRUST_STORE, path)?;
    let certs: Vec<CertificateDer<'static>> = match format {
        Format::Pem => CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| {
                TlsError::about_file(
                    keys::SSL_TRUST_STORE,
                    TlsErrorKind::Invalid,
                    path,
                    format!("bad PEM certificate: {e}"),
                )
            })?,
        Format::Pkcs12 => {
            let store = open_pkcs12(
                &bytes,
                path,
                password.unwrap_or(""),
                keys::SSL_TRUST_STORE_PASSWORD,
                p12_keystore::Pkcs12ImportPolicy::Raw,
            )?;
            store
                .entries()
                .flat_map(|(_, entry)| match entry {
                    p12_keystore::KeyStoreEntry::Certificate(c) => vec![c.as_der().to_vec()],
                    p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) => {
                        chain.certs().iter().map(|c| c.as_der().to_vec()).collect()
                    }
                    _ => Vec::new(),
                })
                .map(CertificateDer::from)
                .collect()
        }
        Format::Jks => match password {
            Some(password) => {
                let store = open_jks(&bytes, path, password, keys::SSL_TRUST_STORE_PASSWORD)?;
                store
                    .aliases()
                    .iter()
                    .filter_map(|alias| store.get_trusted_certificate_entry(alias).ok())
                    .map(|entry| CertificateDer::from(entry.certificate.content))
                    .collect()
            }
            None => jks_trusted_unchecked(&bytes, path)?,
        },
    };
    if certs.is_empty() {
        return Err(TlsError::about_file(
            keys::SSL_TRUST_STORE,
            TlsErrorKind::Invalid,
            path,
            "the trust store holds no certificate",
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_their_first_bytes() {
        assert_eq!(detect(&[0xfe, 0xed, 0xfe, 0xed, 0, 0]), Some(Format::Jks));
        assert_eq!(detect(&[0x30, 0x82, 0x01]), Some(Format::Pkcs12));
        assert_eq!(
            detect(b"# bundle\n-----BEGIN CERTIFICATE-----\n"),
            Some(Format::Pem)
        );
        assert_eq!(detect(b"hello"), None);
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn garbage_after_a_jks_magic_is_an_error_not_a_panic() {
        let mut bytes = JKS_MAGIC.to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0xff]);
        let err = open_jks(
            &bytes,
            Path::new("x.jks"),
            "pw",
            keys::SSL_KEY_STORE_PASSWORD,
        )
        .err()
        .map(|e| e.key());
        assert!(err.is_some());
    }

    #[test]
    fn without_mac_keeps_the_first_two_elements_of_the_pfx() {
        // SEQUENCE { INTEGER 3, SEQUENCE {}, SEQUENCE { NULL } }
        let pfx = [
            0x30, 0x09, 0x02, 0x01, 0x03, 0x30, 0x00, 0x30, 0x02, 0x05, 0x00,
        ];
        assert_eq!(
            without_mac(&pfx),
            Some(vec![0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00])
        );
        assert_eq!(without_mac(&[0x30, 0x03, 0x02, 0x01, 0x03]), None);
        assert_eq!(without_mac(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(without_mac(&[0x30]), None);
    }

    #[test]
    fn garbage_jks_trust_store_without_password_is_an_error_not_a_panic() {
        let mut bytes = JKS_MAGIC.to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0xff]);
        let err = jks_trusted_unchecked(&bytes, Path::new("x.jks")).err();
        assert_eq!(err.map(|e| e.key()), Some(keys::SSL_TRUST_STORE));
    }

    #[test]
    fn garbage_pkcs12_is_an_error_not_a_panic() {
        let err = open_pkcs12(
            &[0x30, 0x03, 0x02, 0x01, 0x03],
            Path::new("x.p12"),
            "pw",
            keys::SSL_KEY_STORE_PASSWORD,
            p12_keystore::Pkcs12ImportPolicy::Strict,
        );
        assert_eq!(err.err().map(|e| e.key()), Some(keys::SSL_KEY_STORE));
    }
}
