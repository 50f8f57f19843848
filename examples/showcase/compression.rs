//! The showcase's compression part.
use oxtor::Application;

/// Installs the compression plugin.
pub fn install(_app: &mut Application) -> oxtor::Result<()> {
    Ok(())
}

/// The compression routes.
pub fn routes() -> axum::Router {
    axum::Router::new()
}
