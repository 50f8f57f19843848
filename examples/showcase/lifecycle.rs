//! The showcase's lifecycle part.
use oxtor::Application;

/// Installs the lifecycle plugin.
pub(crate) fn install(_app: &mut Application) -> oxtor::Result<()> {
    Ok(())
}

/// The lifecycle routes.
pub(crate) fn routes() -> axum::Router {
    axum::Router::new()
}
