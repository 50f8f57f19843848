//! Key stores as Java and Ktor write them, against a real peer (`curl`): EC keys without their
//! public key (keytool's PKCS#8), RSA keys too small for ring, a JKS trust store read without a
//! password, and PKCS#12's `privateKeyPassword`. The extra material is made here with openssl,
//! next to `scripts/dev-certs`' CA.
#![cfg(feature = "tls")]

mod tls_support;

use std::process::Command;

use oxtor_runtime::server::tls::{Tls, TlsErrorKind, TlsSettings};
use tls_support::{
    curl, describe, jks_store, load, p12_settings, run, serve_tls, text, Certs, PASSWORD,
};

/// Runs `script` with bash in the certificates' directory; panics with its stderr on failure.
fn sh(certs: &Certs, script: &str) {
    let out = run(Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(&certs.dir));
    assert!(out.status.success(), "{script}\n{}", describe(&out));
}

/// `NAME.key` (PKCS#8 without the public key, as keytool writes it) and `NAME.crt`, a leaf for
/// 127.0.0.1 signed by the dev CA, for the EC curve `curve`.
fn ec_key_without_public_key(certs: &Certs, name: &str, curve: &str) {
    sh(
        certs,
        &format!(
            "openssl ecparam -name {curve} -genkey -noout -out {name}.full.pem
             openssl ec -in {name}.full.pem -no_public -out {name}.nopub.pem 2>/dev/null
             openssl pkcs8 -topk8 -nocrypt -in {name}.nopub.pem -out {name}.key
             printf '%s\\n' basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature \
               extendedKeyUsage=serverAuth subjectAltName=DNS:localhost,IP:127.0.0.1 >{name}.ext
             openssl req -new -key {name}.full.pem -subj /CN=localhost -out {name}.csr
             openssl x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
               -days 30 -sha256 -extfile {name}.ext -out {name}.crt 2>/dev/null"
        ),
    );
    // The ECPrivateKey holds the version and the private key only: no [1] publicKey.
    let parsed = run(Command::new("openssl")
        .args(["asn1parse", "-in", &format!("{name}.key"), "-strparse"])
        .arg(if curve == "prime256v1" { "26" } else { "23" })
        .current_dir(&certs.dir));
    assert!(parsed.status.success(), "{}", describe(&parsed));
    assert!(!text(&parsed).contains("cont [ 1 ]"), "{}", text(&parsed));
    assert!(!text(&parsed).contains("BIT STRING"), "{}", text(&parsed));
}

/// Settings for `NAME.p12` (alias `mykey`, password [`PASSWORD`]), made from `NAME.key` and
/// `NAME.crt`.
fn pkcs12(certs: &Certs, name: &str) -> TlsSettings {
    sh(
        certs,
        &format!(
            "openssl pkcs12 -export -name mykey -inkey {name}.key -in {name}.crt -certfile ca.pem \
               -passout pass:{PASSWORD} -out {name}.p12"
        ),
    );
    TlsSettings::new(certs.path(&format!("{name}.p12")))
        .key_store_password(PASSWORD)
        .private_key_password(PASSWORD)
}

async fn assert_serves_hello(certs: &Certs, tls: Tls) {
    let server = serve_tls(tls).await;
    let out = curl(certs, server.local_addr(), "/hello", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "Hello, world!");
    server.abort();
}

#[tokio::test]
async fn pkcs12_p256_key_without_public_key_serves_https_to_curl() {
    let certs = Certs::new("ec-nopub-p12");
    ec_key_without_public_key(&certs, "keytool", "prime256v1");
    assert_serves_hello(&certs, load(pkcs12(&certs, "keytool"))).await;
}

#[tokio::test]
async fn pkcs12_p384_key_without_public_key_serves_https_to_curl() {
    let certs = Certs::new("ec384-nopub-p12");
    ec_key_without_public_key(&certs, "keytool", "secp384r1");
    assert_serves_hello(&certs, load(pkcs12(&certs, "keytool"))).await;
}

#[tokio::test]
async fn pem_p256_key_without_public_key_serves_https_to_curl() {
    let certs = Certs::new("ec-nopub-pem");
    ec_key_without_public_key(&certs, "keytool", "prime256v1");
    sh(&certs, "cat keytool.crt ca.pem keytool.key >keytool.pem");
    assert_serves_hello(&certs, load(TlsSettings::new(certs.path("keytool.pem")))).await;
}

#[tokio::test]
async fn jks_key_store_with_an_ec_key_without_public_key_serves_https_to_curl() {
    let certs = Certs::new("ec-nopub-jks");
    ec_key_without_public_key(&certs, "keytool", "prime256v1");
    let path = jks_store(
        &certs,
        Some(("keytool.key", &["keytool.crt", "ca.pem"])),
        &[],
        "keytool.jks",
    );
    let settings = TlsSettings::new(path)
        .key_store_password(PASSWORD)
        .private_key_password(PASSWORD);
    assert_serves_hello(&certs, load(settings)).await;
}

#[test]
fn rsa_key_under_2048_bits_is_refused_saying_so_with_the_key_and_the_file() {
    let certs = Certs::new("rsa1024");
    sh(
        &certs,
        "openssl req -x509 -newkey rsa:1024 -nodes -keyout rsa.key -out rsa.crt -days 30 \
           -subj /CN=localhost -addext basicConstraints=critical,CA:FALSE 2>/dev/null
         cat rsa.crt rsa.key >rsa.pem",
    );
    let err = Tls::load(TlsSettings::new(certs.path("rsa.pem"))).unwrap_err();
    assert_eq!(err.key(), "ktor.security.ssl.keyStore");
    assert_eq!(err.kind(), TlsErrorKind::Invalid);
    assert!(err.message().contains("1024-bit RSA key"), "{err}");
    assert!(
        err.message()
            .contains("RSA keys under 2048 bits are not supported"),
        "{err}"
    );
    assert!(err.message().contains(&certs.arg("rsa.pem")), "{err}");
}

/// A JKS store holding the dev CA as a trusted certificate, with [`PASSWORD`].
fn jks_trust_store(certs: &Certs) -> std::path::PathBuf {
    jks_store(certs, None, &["ca.pem"], "trust.jks")
}

#[tokio::test]
async fn jks_trust_store_without_password_verifies_clients_against_its_certificates() {
    let certs = Certs::new("jks-trust-nopass");
    let trust = jks_trust_store(&certs);
    let server = serve_tls(load(p12_settings(&certs).trust_store(trust))).await;
    let alice = [
        "--cert",
        &certs.arg("client.crt"),
        "--key",
        &certs.arg("client.key"),
    ];
    let out = curl(&certs, server.local_addr(), "/whoami", &alice).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "CN=alice, O=oxtor");
    let anonymous = curl(&certs, server.local_addr(), "/whoami", &[]).await;
    assert!(!anonymous.status.success(), "{}", describe(&anonymous));
    server.abort();
}

#[test]
fn jks_trust_store_with_a_wrong_password_names_the_password_key_and_the_file() {
    let certs = Certs::new("jks-trust-wrong");
    let trust = jks_trust_store(&certs);
    let err = Tls::load(
        p12_settings(&certs)
            .trust_store(&trust)
            .trust_store_password("nope"),
    )
    .unwrap_err();
    assert_eq!(err.key(), "ktor.security.ssl.trustStorePassword");
    assert_eq!(err.kind(), TlsErrorKind::WrongPassword);
    assert!(err.message().contains(&certs.arg("trust.jks")), "{err}");
}

#[test]
fn pkcs12_wrong_private_key_password_is_refused_naming_the_key_and_the_file() {
    let certs = Certs::new("p12-wrong-key-password");
    let err = Tls::load(
        TlsSettings::new(certs.path("server.p12"))
            .key_store_password(PASSWORD)
            .private_key_password("nope"),
    )
    .unwrap_err();
    assert_eq!(err.key(), "ktor.security.ssl.privateKeyPassword");
    assert_eq!(err.kind(), TlsErrorKind::WrongPassword);
    assert!(err.message().contains(&certs.arg("server.p12")), "{err}");
}
