//! The client over TLS: h2 by ALPN, the HTTP/1.1 fallback, and duplex streaming over https
//! (allowed on h2, a clear error on HTTP/1.1). The server certificate is made with the `openssl`
//! binary for each run.
#![cfg(feature = "client")]

mod client_support;

use std::{net::SocketAddr, path::PathBuf, process::Command, sync::Arc};

use axum::{
    body::Body,
    routing::{get, post},
    Router,
};
use bytes::Bytes;
use client_support::bounded;
use futures_util::StreamExt;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use oxtor_runtime::client::{ClientError, HttpClient, RequestBody};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

struct Cert {
    dir: PathBuf,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl Drop for Cert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn self_signed(name: &str) -> Cert {
    let dir = std::env::temp_dir().join(format!("oxtor-client-tls-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output()
        .expect("the openssl binary (apt-get install openssl)");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let cert = CertificateDer::from_pem_file(dir.join("cert.pem")).expect("cert");
    let key = PrivateKeyDer::from_pem_file(dir.join("key.pem")).expect("key");
    Cert { dir, cert, key }
}

fn router() -> Router {
    Router::new()
        .route("/hello", get(|| async { "Hello, TLS!" }))
        .route(
            "/echo",
            post(|body: Body| async move {
                // Echoes each chunk as it arrives.
                Body::from_stream(body.into_data_stream().map(|c| c.map(|b: Bytes| b)))
            }),
        )
}

async fn tls_server(cert: &Cert, alpn: &[&[u8]]) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.clone()], cert.key.clone_key())
        .expect("server config");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = TowerToHyperService::new(router());
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, task)
}

fn client_trusting(cert: &Cert, duplex: bool) -> HttpClient {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.clone()).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    HttpClient::configure(move |cfg| {
        let tls = tls.clone();
        cfg.engine(move |e| {
            e.tls_config(tls.clone()).duplex_streaming_enabled(duplex);
        });
    })
    .expect("client")
}

#[tokio::test]
async fn https_negotiates_http2_by_alpn() {
    let cert = self_signed("h2");
    let (addr, server) = tls_server(&cert, &[b"h2", b"http/1.1"]).await;
    let client = client_trusting(&cert, false);

    let resp = bounded(
        10,
        client
            .get(&format!("https://localhost:{}/hello", addr.port()))
            .send(),
    )
    .await
    .expect("response");

    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.text().await.expect("text"), "Hello, TLS!");
    server.abort();
}

#[tokio::test]
async fn https_falls_back_to_http1_when_the_server_offers_only_that() {
    let cert = self_signed("h1");
    let (addr, server) = tls_server(&cert, &[b"http/1.1"]).await;
    let client = client_trusting(&cert, false);

    let resp = bounded(
        10,
        client
            .get(&format!("https://localhost:{}/hello", addr.port()))
            .send(),
    )
    .await
    .expect("response");

    assert_eq!(resp.version(), http::Version::HTTP_11);
    assert_eq!(resp.text().await.expect("text"), "Hello, TLS!");
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplex_streaming_works_over_https_h2() {
    let cert = self_signed("duplex-h2");
    let (addr, server) = tls_server(&cert, &[b"h2", b"http/1.1"]).await;
    let client = client_trusting(&cert, true);
    let (writer, body) = RequestBody::channel(1);

    let echoed = bounded(
        10,
        client
            .prepare_post(&format!("https://localhost:{}/echo", addr.port()))
            .body_from(body)
            .execute(|resp| async move {
                let mut body = resp.into_body();
                let mut got = Vec::new();
                for word in ["one", "two"] {
                    writer.write(word).await?;
                    got.push(body.chunk().await?);
                }
                Ok::<_, ClientError>(got)
            }),
    )
    .await
    .expect("execute")
    .expect("block");

    assert_eq!(
        echoed,
        vec![Some(Bytes::from("one")), Some(Bytes::from("two"))]
    );
    server.abort();
}

#[tokio::test]
async fn duplex_over_an_https_http1_connection_is_a_clear_error() {
    let cert = self_signed("duplex-h1");
    let (addr, server) = tls_server(&cert, &[b"http/1.1"]).await;
    let client = client_trusting(&cert, true);
    let (writer, body) = RequestBody::channel(1);
    let feeder = tokio::spawn(async move {
        let _ = writer.write("one").await;
    });

    let res = bounded(
        10,
        client
            .post(&format!("https://localhost:{}/echo", addr.port()))
            .body_from(body)
            .send(),
    )
    .await;

    assert!(
        matches!(res, Err(ClientError::DuplexRequiresHttp2)),
        "{res:?}"
    );
    let _ = feeder.await;
    server.abort();
}
