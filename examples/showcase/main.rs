//! The showcase: every oxtor feature, one route each (see DESIGN.md's route table).
//!
//! `cargo run --example showcase` serves on 127.0.0.1:8080 (the embedded `application.conf`).
//! Like Ktor's `EngineMain` it honours `application.conf` / `application.toml` in the working
//! directory, `-config=FILE`, `-host=H`, `-port=N` and `-P:ktor.deployment.port=N`; a bad
//! configuration stops it before it binds, with the file, line and key in the message.
//!
//! HTTPS on `sslPort` next to the plain port, with mutual TLS for clients that present a
//! certificate (`GET /whoami`):
//! `scripts/dev-certs certs && cargo run --example showcase -- -config=examples/showcase/tls.conf`.
mod auth;
mod basics;
mod books;
mod compression;
mod echo;
mod html;
mod lifecycle;
mod plugins;
mod resources;
#[cfg(feature = "tls")]
mod tls;

use oxtor::{
    config::{Config, EngineMain},
    Application,
};

/// The defaults under every other source: 127.0.0.1:8080.
const DEFAULTS: &str = include_str!("application.conf");

/// The application module: plugins first, then routes.
fn module(app: &mut Application, config: &Config) -> oxtor::Result<()> {
    plugins::install(app)?;
    compression::install(app)?;
    lifecycle::install(app)?;
    auth::install(app, config)?;
    app.routing(auth::routes())?;
    app.routing(basics::routes())?;
    app.routing(compression::routes())?;
    app.routing(echo::routes())?;
    app.routing(lifecycle::routes())?;
    app.routing(plugins::routes())?;
    #[cfg(feature = "tls")]
    app.routing(tls::routes())?;
    let root = app.root_path().unwrap_or_default().to_owned();
    app.routing(html::routes(&root))?;
    app.routing(resources::routes())?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match serve().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> oxtor::Result<()> {
    let defaults = Config::from_hocon_str("examples/showcase/application.conf", DEFAULTS)?;
    let main = EngineMain::from_args()?.with_defaults(defaults);
    main.run(module).await
}
