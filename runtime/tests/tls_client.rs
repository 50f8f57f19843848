//! oxtor's client against oxtor's TLS connector: h2 by ALPN, and mutual TLS with a client
//! certificate the handler sees.
#![cfg(all(feature = "tls", feature = "client"))]

mod tls_support;

use std::{sync::Arc, time::Duration};

use oxtor_runtime::{
    client::HttpClient,
    server::tls::{Tls, TlsSettings},
};
use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tls_support::{serve_tls, Certs, PASSWORD};

fn client(certs: &Certs, identity: Option<(&str, &str)>) -> HttpClient {
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_file(certs.path("ca.pem")).unwrap_or_else(|e| panic!("{e}"));
    roots.add(ca).unwrap_or_else(|e| panic!("{e}"));
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap_or_else(|e| panic!("{e}"))
    .with_root_certificates(roots);
    let tls = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain =
                vec![CertificateDer::from_pem_file(certs.path(cert))
                    .unwrap_or_else(|e| panic!("{e}"))];
            let key =
                PrivateKeyDer::from_pem_file(certs.path(key)).unwrap_or_else(|e| panic!("{e}"));
            builder
                .with_client_auth_cert(chain, key)
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };
    HttpClient::configure(move |cfg| {
        let tls = tls.clone();
        cfg.engine(move |e| {
            e.tls_config(tls.clone());
        });
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn mtls(certs: &Certs) -> Tls {
    Tls::load(
        TlsSettings::new(certs.path("server.p12"))
            .key_store_password(PASSWORD)
            .private_key_password(PASSWORD)
            .trust_store(certs.path("ca.pem")),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn oxtor_client_gets_h2_by_alpn_from_the_tls_connector() {
    let certs = Certs::new("client-h2");
    let tls =
        Tls::load(TlsSettings::new(certs.path("server.pem"))).unwrap_or_else(|e| panic!("{e}"));
    let server = serve_tls(tls).await;
    let url = format!("https://localhost:{}/hello", server.local_addr().port());
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        client(&certs, None).get(&url).send(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.text().await.ok().as_deref(), Some("Hello, world!"));
    server.abort();
}

#[tokio::test]
async fn oxtor_client_certificate_reaches_the_handler() {
    let certs = Certs::new("client-mtls");
    let server = serve_tls(mtls(&certs)).await;
    let url = format!("https://localhost:{}/whoami", server.local_addr().port());
    let alice = client(&certs, Some(("client.crt", "client.key")));
    let resp = tokio::time::timeout(Duration::from_secs(10), alice.get(&url).send())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(resp.text().await.ok().as_deref(), Some("CN=alice, O=oxtor"));
    server.abort();
}

#[tokio::test]
async fn oxtor_client_without_a_certificate_is_refused_by_mtls() {
    let certs = Certs::new("client-mtls-none");
    let server = serve_tls(mtls(&certs)).await;
    let url = format!("https://localhost:{}/whoami", server.local_addr().port());
    let sent = tokio::time::timeout(
        Duration::from_secs(10),
        client(&certs, None).get(&url).send(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(sent.is_err(), "{sent:?}");
    server.abort();
}
