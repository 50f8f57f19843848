//! Benchmark baseline (the other side of `bench/tls.sh`): the same `GET /hello` axum router
//! served over HTTPS by a hand-written tokio-rustls + hyper-util accept loop, with the same
//! rustls settings as oxtor's TLS connector (ring provider, TLS 1.2 and 1.3, ALPN `h2` +
//! `http/1.1`, TCP_NODELAY).
//!
//! `bench_tls_baseline PORT KEY_STORE.pem` (the PEM key store of `scripts/dev-certs`).
use std::sync::Arc;

use axum::{routing::get, Router};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto,
    service::TowerToHyperService,
};
use tokio_rustls::{
    rustls::{
        self,
        pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    },
    TlsAcceptor,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oxtor_bench::log_like_the_showcase();
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8444);
    let key_store = args.next().unwrap_or_else(|| "certs/server.pem".to_owned());
    match serve(port, &key_store).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(port: u16, key_store: &str) -> Result<(), Box<dyn std::error::Error>> {
    let chain = CertificateDer::pem_file_iter(key_store)?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(key_store)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let router = Router::new().route("/hello", get(|| async { "Hello, world!" }));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // As oxtor's engine: no header read timeout (hyper's default is 30 s once a timer is set).
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (tcp, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            _ = &mut shutdown => return Ok(()),
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, builder, router) = (acceptor.clone(), builder.clone(), router.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = TowerToHyperService::new(router);
            let _ = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await;
        });
    }
}
