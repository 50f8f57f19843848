//! `HttpRequestLifecycle` over TLS: Ktor's HttpRequestLifecycleTest cases that run on Netty with
//! SSL and HTTP/2 (§5.3) — the disconnect cancels the call over https/1.1 and over h2 (ALPN),
//! and a call that completes is untouched.
#![cfg(feature = "tls")]

mod lifecycle_support;
mod tls_support;

use std::{error::Error as _, sync::Arc, time::Duration};

use axum::{body::Body, extract::State, routing::get, Router};
use http_body_util::BodyExt;
use lifecycle_support::h2_handshake;
use oxtor_runtime::{
    plugins::lifecycle::{Cancellation, ConnectionClosed, HttpRequestLifecycle},
    server::{
        tls::{Tls, TlsSettings},
        Connector, RunningServer, Server, ServerConfig,
    },
    Application,
};
use rustls_pki_types::{pem::PemObject, CertificateDer, ServerName};
use tls_support::Certs;
use tokio::{io::AsyncWriteExt, sync::mpsc, time::timeout};
use tokio_rustls::client::TlsStream;

const LIMIT: Duration = Duration::from_secs(10);

type Events = mpsc::UnboundedReceiver<&'static str>;

/// Ktor's handler: `ensureActive()` between delays; reports how it ended.
async fn ensure_active_loop(
    State(probe): State<mpsc::UnboundedSender<&'static str>>,
    cancel: Cancellation,
) -> &'static str {
    let _ = probe.send("started");
    for _ in 0..100 {
        if let Err(e) = cancel.ensure_active() {
            let root = e
                .source()
                .and_then(|s| s.downcast_ref::<ConnectionClosed>());
            let _ = probe.send(if root.is_some() {
                "connection-closed"
            } else {
                "other-cause"
            });
            return "";
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            _ = cancel.cancelled() => {}
        }
    }
    let _ = probe.send("finished");
    "done"
}

async fn serve(certs: &Certs) -> (RunningServer, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut app = Application::new(tx);
    app.install(HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let ok = || async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        "OK"
    };
    app.routing(
        Router::new()
            .route("/", get(ensure_active_loop))
            .route("/ok", get(ok)),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let tls =
        Tls::load(TlsSettings::new(certs.path("server.pem"))).unwrap_or_else(|e| panic!("{e}"));
    let server = Server::new(app, ServerConfig::local(0))
        .connectors([Connector::https("127.0.0.1", 0, tls)])
        .start()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (server, rx)
}

/// A TLS connection offering only `alpn`.
async fn connect(
    certs: &Certs,
    server: &RunningServer,
    alpn: &[u8],
) -> TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_file(certs.path("ca.pem")).unwrap_or_else(|e| panic!("{e}"));
    roots.add(ca).unwrap_or_else(|e| panic!("{e}"));
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap_or_else(|e| panic!("{e}"))
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let name = ServerName::try_from("localhost").unwrap_or_else(|e| panic!("{e}"));
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(alpn));
    stream
}

async fn next(rx: &mut Events) -> &'static str {
    timeout(LIMIT, rx.recv())
        .await
        .unwrap_or_else(|e| panic!("no event in time: {e}"))
        .unwrap_or_else(|| panic!("channel closed"))
}

#[tokio::test]
async fn client_disconnection_cancels_request_https1() {
    let certs = Certs::new("lifecycle-h1");
    let (server, mut rx) = serve(&certs).await;
    let mut stream = connect(&certs, &server, b"http/1.1").await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(next(&mut rx).await, "started");
    drop(stream);
    assert_eq!(next(&mut rx).await, "connection-closed");
    server.abort();
}

#[tokio::test]
async fn client_disconnection_cancels_request_h2_over_tls() {
    let certs = Certs::new("lifecycle-h2");
    let (server, mut rx) = serve(&certs).await;
    let stream = connect(&certs, &server, b"h2").await;
    let (mut sender, conn) = h2_handshake(stream).await;
    let req = http::Request::get("https://localhost/")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let pending = tokio::spawn(sender.send_request(req));
    assert_eq!(next(&mut rx).await, "started");
    pending.abort();
    conn.abort(); // the whole connection goes away
    assert_eq!(next(&mut rx).await, "connection-closed");
    server.abort();
}

/// Ktor `testHttpRequestLifecycleSuccess` over h2 with TLS.
#[tokio::test]
async fn lifecycle_success_h2_over_tls() {
    let certs = Certs::new("lifecycle-ok");
    let (server, _rx) = serve(&certs).await;
    let stream = connect(&certs, &server, b"h2").await;
    let (mut sender, conn) = h2_handshake(stream).await;
    let req = http::Request::get("https://localhost/ok")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let res = timeout(LIMIT, sender.send_request(req))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.status(), 200);
    let body = res
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_bytes();
    assert_eq!(&body[..], b"OK");
    conn.abort();
    server.abort();
}
