//! Benchmark server (oxtor side of `bench/tls.sh`): `GET /hello` over HTTPS on 127.0.0.1:PORT,
//! served by oxtor's engine with a TLS connector built from `TlsSettings`.
//!
//! `bench_tls_oxtor PORT KEY_STORE.pem [WORKERS]` (the PEM key store of `scripts/dev-certs`;
//! with WORKERS, the engine's thread-per-core mode on that many workers, 0: one per CPU).
#[path = "../workers.rs"]
mod workers;
use axum::{routing::get, Router};
use oxtor::{
    server::{
        tls::{Tls, TlsSettings},
        Connector, Server, ServerConfig,
    },
    Application,
};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oxtor_bench::log_like_the_showcase();
    let mut args = std::env::args().skip(1);
    let port = args.next().and_then(|p| p.parse().ok()).unwrap_or(8443);
    let key_store = args.next().unwrap_or_else(|| "certs/server.pem".to_owned());
    let config = match workers::apply(ServerConfig::local(port), args.next()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match serve(config, &key_store).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServerConfig, key_store: &str) -> oxtor::Result<()> {
    let tls = Tls::load(TlsSettings::new(key_store))?;
    let mut app = Application::new(());
    app.routing(Router::new().route("/hello", get(|| async { "Hello, world!" })))?;
    let port = config.port;
    Server::new(app, config)
        .connectors([Connector::https("127.0.0.1", port, tls)])
        .run()
        .await
}
