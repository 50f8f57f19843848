//! The showcase's lifecycle part.
use oxtor::Application;

/// Installs the lifecycle plugin.
pub fn install(_app: &mut Application) -> oxtor::Result<()> {
    Ok(())
}

/// The lifecycle routes.
pub fn routes() -> axum::Router {
    axum::Router::new()
}
