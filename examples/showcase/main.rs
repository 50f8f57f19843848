//! The showcase: every oxtor feature, one route each (see DESIGN.md's route table).
//!
//! `cargo run --example showcase` serves on 127.0.0.1:8080.
mod basics;
mod compression;
mod lifecycle;

use oxtor::Application;

/// The application module: plugins first, then routes.
fn module(app: &mut Application) -> oxtor::Result<()> {
    compression::install(app)?;
    lifecycle::install(app)?;
    app.routing(basics::routes())?;
    app.routing(compression::routes())?;
    app.routing(lifecycle::routes())?;
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let mut app = Application::new(());
    if let Err(e) = module(&mut app) {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let config = oxtor::server::ServerConfig::local(8080);
    match oxtor::server::Server::new(app, config).run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
