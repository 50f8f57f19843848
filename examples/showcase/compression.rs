//! The showcase's compression part.
use oxtor::Application;

/// Installs the compression plugin.
pub(crate) fn install(_app: &mut Application) -> oxtor::Result<()> {
    Ok(())
}

/// The compression routes.
pub(crate) fn routes() -> axum::Router {
    axum::Router::new()
}
