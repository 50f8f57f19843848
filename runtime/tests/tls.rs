//! HTTPS from `ktor.security.ssl`-style settings, against real peers (`curl`, `openssl
//! s_client`): enabled protocols, mutual TLS (required and optional), ALPN h2, the three key
//! store formats and trust store formats, plain and TLS connectors side by side, and reload.
//! Certificates come from `scripts/dev-certs`. Assertions are on exit codes, not on the peers'
//! text, except for the response bodies.
#![cfg(feature = "tls")]

mod tls_support;

use std::time::Duration;

use oxtor_runtime::server::{
    tls::{ClientAuth, Tls, TlsErrorKind, TlsProtocol, TlsSettings},
    Connector, Server, ServerConfig,
};
use rustls_pki_types::{pem::PemObject, CertificateDer};
use tls_support::{
    curl, describe, jks_store, load, p12_settings, s_client, serve_tls, text, Certs, PASSWORD,
};

#[tokio::test]
async fn pkcs12_key_store_serves_https_to_curl() {
    let certs = Certs::new("p12");
    let server = serve_tls(load(p12_settings(&certs))).await;
    let out = curl(&certs, server.local_addr(), "/hello", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "Hello, world!");
    server.abort();
}

#[tokio::test]
async fn pem_key_store_with_chain_and_key_serves_https() {
    let certs = Certs::new("pem");
    let server = serve_tls(load(TlsSettings::new(certs.path("server.pem")))).await;
    let out = curl(&certs, server.local_addr(), "/hello", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    server.abort();
}

/// A JKS store as Java's `keytool` writes it: the server's key and chain, and the dev CA as a
/// trusted certificate.
fn write_jks(certs: &Certs) -> std::path::PathBuf {
    jks_store(
        certs,
        Some(("server.key", &["server.crt", "ca.pem"])),
        &["ca.pem"],
        "server.jks",
    )
}

#[tokio::test]
async fn jks_key_store_serves_https_and_verifies_clients_with_a_jks_trust_store() {
    let certs = Certs::new("jks");
    let jks = write_jks(&certs);
    let settings = TlsSettings::new(&jks)
        .key_store_password(PASSWORD)
        .private_key_password(PASSWORD)
        .trust_store(&jks)
        .trust_store_password(PASSWORD);
    let server = serve_tls(load(settings)).await;
    let alice = [
        "--cert",
        &certs.arg("client.crt"),
        "--key",
        &certs.arg("client.key"),
    ];
    let out = curl(&certs, server.local_addr(), "/whoami", &alice).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "CN=alice, O=oxtor");
    server.abort();
}

#[tokio::test]
async fn tls13_only_refuses_curl_capped_at_tls12() {
    let certs = Certs::new("tls13");
    let tls = load(p12_settings(&certs).enabled_protocols([TlsProtocol::Tls13]));
    let server = serve_tls(tls).await;
    let capped = curl(&certs, server.local_addr(), "/hello", &["--tls-max", "1.2"]).await;
    assert!(!capped.status.success(), "{}", describe(&capped));
    let modern = curl(&certs, server.local_addr(), "/hello", &["--tlsv1.3"]).await;
    assert!(modern.status.success(), "{}", describe(&modern));
    server.abort();
}

#[tokio::test]
async fn tls13_only_refuses_s_client_with_tls12() {
    let certs = Certs::new("s-client");
    let tls = load(p12_settings(&certs).enabled_protocols([TlsProtocol::Tls13]));
    let server = serve_tls(tls).await;
    let tls12 = s_client(&certs, server.local_addr(), &["-tls1_2"]).await;
    assert!(!tls12.status.success(), "{}", describe(&tls12));
    let tls13 = s_client(&certs, server.local_addr(), &["-tls1_3"]).await;
    assert!(tls13.status.success(), "{}", describe(&tls13));
    server.abort();
}

#[tokio::test]
async fn tls12_only_refuses_s_client_with_tls13() {
    let certs = Certs::new("tls12");
    let tls = load(p12_settings(&certs).enabled_protocols([TlsProtocol::Tls12]));
    let server = serve_tls(tls).await;
    let tls13 = s_client(&certs, server.local_addr(), &["-tls1_3"]).await;
    assert!(!tls13.status.success(), "{}", describe(&tls13));
    server.abort();
}

#[tokio::test]
async fn alpn_gives_h2_to_curl_http2() {
    let certs = Certs::new("alpn");
    let server = serve_tls(load(p12_settings(&certs))).await;
    let args = ["--http2", "-o", "/dev/null", "-w", "%{http_version}"];
    let out = curl(&certs, server.local_addr(), "/hello", &args).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "2");
    let args = ["--http1.1", "-o", "/dev/null", "-w", "%{http_version}"];
    let out = curl(&certs, server.local_addr(), "/hello", &args).await;
    assert_eq!(text(&out), "1.1");
    server.abort();
}

#[tokio::test]
async fn requests_over_tls_have_the_https_scheme_on_http1_and_h2() {
    let certs = Certs::new("scheme");
    let server = serve_tls(load(p12_settings(&certs))).await;
    for version in ["--http1.1", "--http2"] {
        let out = curl(&certs, server.local_addr(), "/scheme", &[version]).await;
        assert!(out.status.success(), "{}", describe(&out));
        assert_eq!(text(&out), "https", "{version}");
    }
    server.abort();
}

fn mtls(certs: &Certs) -> TlsSettings {
    p12_settings(certs).trust_store(certs.path("ca.pem"))
}

#[tokio::test]
async fn mtls_refuses_a_client_without_a_certificate() {
    let certs = Certs::new("mtls-none");
    let server = serve_tls(load(mtls(&certs))).await;
    let out = curl(&certs, server.local_addr(), "/hello", &[]).await;
    assert!(!out.status.success(), "{}", describe(&out));
    server.abort();
}

#[tokio::test]
async fn mtls_refuses_a_client_signed_by_another_ca() {
    let certs = Certs::new("mtls-other");
    let server = serve_tls(load(mtls(&certs))).await;
    let mallory = [
        "--cert",
        &certs.arg("other-client.crt"),
        "--key",
        &certs.arg("other-client.key"),
    ];
    let out = curl(&certs, server.local_addr(), "/hello", &mallory).await;
    assert!(!out.status.success(), "{}", describe(&out));
    let out = s_client(
        &certs,
        server.local_addr(),
        &[
            "-tls1_2",
            "-cert",
            &certs.arg("other-client.crt"),
            "-key",
            &certs.arg("other-client.key"),
        ],
    )
    .await;
    // TLS 1.3 refuses a client certificate after s_client's handshake is done (and s_client
    // with no input exits 0 before reading the alert); TLS 1.2 refuses it in the handshake.
    assert!(!out.status.success(), "{}", describe(&out));
    server.abort();
}

#[tokio::test]
async fn mtls_accepts_a_trusted_client_and_the_handler_sees_its_subject() {
    let certs = Certs::new("mtls-alice");
    let server = serve_tls(load(mtls(&certs))).await;
    let alice = [
        "--cert",
        &certs.arg("client.crt"),
        "--key",
        &certs.arg("client.key"),
    ];
    let out = curl(&certs, server.local_addr(), "/whoami", &alice).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "CN=alice, O=oxtor");
    let out = curl(&certs, server.local_addr(), "/admin", &alice).await;
    assert_eq!(text(&out), "welcome RFC822Name(alice@example.com)");
    server.abort();
}

#[tokio::test]
async fn mtls_client_certificate_from_pkcs12_trust_store() {
    let certs = Certs::new("mtls-p12-trust");
    let settings = p12_settings(&certs)
        .trust_store(certs.path("ca.p12"))
        .trust_store_password(PASSWORD);
    let server = serve_tls(load(settings)).await;
    let alice = [
        "--cert-type",
        "P12",
        "--cert",
        &format!("{}:{PASSWORD}", certs.arg("client.p12")),
    ];
    let out = curl(&certs, server.local_addr(), "/whoami", &alice).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "CN=alice, O=oxtor");
    server.abort();
}

#[tokio::test]
async fn optional_client_auth_serves_clients_with_and_without_a_certificate() {
    let certs = Certs::new("mtls-optional");
    let server = serve_tls(load(mtls(&certs).client_auth(ClientAuth::Optional))).await;
    let out = curl(&certs, server.local_addr(), "/whoami", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "anonymous");
    let alice = [
        "--cert",
        &certs.arg("client.crt"),
        "--key",
        &certs.arg("client.key"),
    ];
    let out = curl(&certs, server.local_addr(), "/whoami", &alice).await;
    assert_eq!(text(&out), "CN=alice, O=oxtor");
    // A route that needs a certificate refuses the anonymous client.
    let out = curl(
        &certs,
        server.local_addr(),
        "/admin",
        &["-o", "/dev/null", "-w", "%{http_code}"],
    )
    .await;
    assert_eq!(text(&out), "401");
    server.abort();
}

#[tokio::test]
async fn optional_client_auth_still_refuses_a_client_of_another_ca() {
    let certs = Certs::new("mtls-optional-other");
    let server = serve_tls(load(mtls(&certs).client_auth(ClientAuth::Optional))).await;
    let mallory = [
        "--cert",
        &certs.arg("other-client.crt"),
        "--key",
        &certs.arg("other-client.key"),
    ];
    let out = curl(&certs, server.local_addr(), "/whoami", &mallory).await;
    assert!(!out.status.success(), "{}", describe(&out));
    server.abort();
}

#[tokio::test]
async fn plain_and_tls_connectors_serve_the_same_application() {
    let certs = Certs::new("both");
    let server = Server::new(tls_support::app(), ServerConfig::local(0))
        .connector(Connector::https("127.0.0.1", 0, load(p12_settings(&certs))))
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let [plain, secure] = server.local_addrs() else {
        panic!("two connectors: {:?}", server.local_addrs());
    };
    let body = reqwest::get(format!("http://{plain}/hello"))
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(body.text().await.ok().as_deref(), Some("Hello, world!"));
    let out = curl(&certs, *secure, "/hello", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "Hello, world!");
    server.abort();
}

#[test]
fn wrong_password_names_the_key_and_the_file() {
    let certs = Certs::new("wrong-password");
    let err = Tls::load(
        TlsSettings::new(certs.path("server.p12"))
            .key_store_password("nope")
            .private_key_password("nope"),
    )
    .unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::WrongPassword);
    assert_eq!(err.key(), "ktor.security.ssl.keyStorePassword");
    assert!(err.message().contains(&certs.arg("server.p12")), "{err}");
}

#[test]
fn missing_alias_is_ktors_message() {
    let certs = Certs::new("alias");
    let err = Tls::load(p12_settings(&certs).key_alias("other")).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::AliasNotFound);
    assert_eq!(
        err.to_string(),
        format!(
            "ktor.security.ssl.keyAlias: The specified key other doesn't exist in the key store {}",
            certs.arg("server.p12")
        )
    );
}

#[test]
fn pkcs12_without_passwords_is_ktors_message() {
    let certs = Certs::new("no-password");
    let err = Tls::load(TlsSettings::new(certs.path("server.p12"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ktor.security.ssl.keyStorePassword: SSL requires keystore password: use \
         ktor.security.ssl.keyStorePassword config"
    );
}

#[test]
fn expired_certificate_is_refused_at_load() {
    let certs = Certs::new("expired");
    let err = Tls::load(TlsSettings::new(certs.path("expired.pem"))).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::Expired, "{err}");
    assert!(err.message().contains("expired.pem"), "{err}");
}

#[test]
fn key_not_matching_the_certificate_is_refused_at_load() {
    let certs = Certs::new("mismatch");
    let read = |f: &str| std::fs::read_to_string(certs.path(f)).unwrap_or_default();
    let mixed = certs.path("mixed.pem");
    std::fs::write(&mixed, read("server.crt") + &read("client.key")).unwrap_or_default();
    let err = Tls::load(TlsSettings::new(&mixed)).unwrap_err();
    assert_eq!(err.kind(), TlsErrorKind::KeyMismatch, "{err}");
    assert_eq!(err.key(), "ktor.security.ssl.keyStore");
}

#[test]
fn ca_certificate_as_the_server_certificate_is_refused_at_load() {
    let certs = Certs::new("ca-as-server");
    let read = |f: &str| std::fs::read_to_string(certs.path(f)).unwrap_or_default();
    let ca = certs.path("ca-identity.pem");
    std::fs::write(&ca, read("ca.pem") + &read("ca.key")).unwrap_or_default();
    let err = Tls::load(TlsSettings::new(&ca)).unwrap_err();
    assert!(err.message().contains("CA:TRUE"), "{err}");
}

#[test]
fn unreadable_trust_store_names_the_key_and_the_file() {
    let certs = Certs::new("bad-trust");
    let junk = certs.path("junk.bin");
    std::fs::write(&junk, b"not a store").unwrap_or_default();
    let err = Tls::load(p12_settings(&certs).trust_store(&junk)).unwrap_err();
    assert_eq!(err.key(), "ktor.security.ssl.trustStore");
    assert!(err.message().contains("junk.bin"), "{err}");
}

#[tokio::test]
async fn reload_serves_the_new_certificate_to_new_connections() {
    let certs = Certs::new("reload-a");
    let other = Certs::new("reload-b");
    let live = certs.path("live.pem");
    std::fs::copy(certs.path("server.pem"), &live).unwrap_or_default();
    let tls = load(TlsSettings::new(&live));
    let server = serve_tls(tls.clone()).await;
    let before = tls_support::served_serial(server.local_addr()).await;
    assert_eq!(before, tls_support::file_serial(&certs.path("server.crt")));

    std::fs::copy(other.path("server.pem"), &live).unwrap_or_default();
    tls.reload().unwrap_or_else(|e| panic!("{e}"));
    let after = tls_support::served_serial(server.local_addr()).await;
    assert_eq!(after, tls_support::file_serial(&other.path("server.crt")));
    server.abort();
}

#[tokio::test]
async fn broken_replacement_keeps_the_last_good_certificate() {
    let certs = Certs::new("reload-broken");
    let live = certs.path("live.pem");
    std::fs::copy(certs.path("server.pem"), &live).unwrap_or_default();
    let tls = load(TlsSettings::new(&live));
    let server = serve_tls(tls.clone()).await;
    std::fs::write(&live, "-----BEGIN CERTIFICATE-----\ngarbage\n").unwrap_or_default();
    assert!(tls.reload().is_err());
    let out = curl(&certs, server.local_addr(), "/hello", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        tls_support::served_serial(server.local_addr()).await,
        tls_support::file_serial(&certs.path("server.crt"))
    );
    server.abort();
}

#[tokio::test]
async fn watch_interval_reloads_when_the_file_changes() {
    let certs = Certs::new("watch-a");
    let other = Certs::new("watch-b");
    let live = certs.path("live.pem");
    std::fs::copy(certs.path("server.pem"), &live).unwrap_or_default();
    let tls = load(TlsSettings::new(&live).watch_interval(Some(Duration::from_millis(50))));
    tls.spawn_reloader();
    let server = serve_tls(tls.clone()).await;
    // Another length, so the change shows even within the file system's timestamp granularity.
    let replacement = std::fs::read_to_string(other.path("server.pem")).unwrap_or_default() + "\n";
    std::fs::write(&live, replacement).unwrap_or_default();
    let expected = tls_support::file_serial(&other.path("server.crt"));
    let mut served = String::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        served = tls_support::served_serial(server.local_addr()).await;
        if served == expected {
            break;
        }
    }
    assert_eq!(served, expected);
    server.abort();
}

#[tokio::test]
async fn reload_leaves_an_open_connection_on_its_certificate() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let certs = Certs::new("reload-open");
    let other = Certs::new("reload-open-b");
    let live = certs.path("live.pem");
    std::fs::copy(certs.path("server.pem"), &live).unwrap_or_default();
    let tls = load(TlsSettings::new(&live));
    let server = serve_tls(tls.clone()).await;

    let mut roots = rustls::RootCertStore::empty();
    for ca in [certs.path("ca.pem"), other.path("ca.pem")] {
        let ca = CertificateDer::from_pem_file(ca).unwrap_or_else(|e| panic!("{e}"));
        roots.add(ca).unwrap_or_else(|e| panic!("{e}"));
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap_or_else(|e| panic!("{e}"))
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let name =
        rustls_pki_types::ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
    let mut stream = connector
        .connect(name, tcp)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let first_cert = stream
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c[0].to_vec());

    async fn get(stream: &mut (impl AsyncReadExt + AsyncWriteExt + Unpin)) -> String {
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut buf = vec![0; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
    assert!(get(&mut stream).await.ends_with("Hello, world!"));

    std::fs::copy(other.path("server.pem"), &live).unwrap_or_default();
    tls.reload().unwrap_or_else(|e| panic!("{e}"));
    // The open connection goes on serving, on the session it was established with.
    let second = get(&mut stream).await;
    assert!(second.starts_with("HTTP/1.1 200"), "{second}");
    assert_eq!(
        stream
            .get_ref()
            .1
            .peer_certificates()
            .map(|c| c[0].to_vec()),
        first_cert
    );
    // A new connection gets the new certificate.
    assert_eq!(
        tls_support::served_serial(server.local_addr()).await,
        tls_support::file_serial(&other.path("server.crt"))
    );
    server.abort();
}
