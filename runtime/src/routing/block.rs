//! The receiver of `routing!`'s blocks: [`Blocks`], its inherent `layer` block, and the
//! [`RoutingBlock`] trait every block implements.
use std::convert::Infallible;

use axum::{extract::Request, response::IntoResponse, routing::Route as AxumRoute};
use tower_layer::Layer;
use tower_service::Service;

use super::Routes;

/// The value `routing!`'s blocks are methods of, as Ktor's blocks are extension functions of
/// `Route`: `name(args) { routes }` calls `Blocks.name(args)`, so rustc resolves the name.
///
/// [`layer`](Self::layer) is built in; a plugin adds a block with an extension trait implemented
/// for `Blocks` (as the lifecycle plugin's `LifecycleBlocks` adds
/// `lifecycle`), which the user brings into scope (`use oxtor::prelude::*` does for oxtor's own).
/// See the [module docs](super) for a block written outside oxtor.
#[derive(Clone, Copy, Debug, Default)]
pub struct Blocks;

impl Blocks {
    /// `layer(l) { routes }`: wraps only the nested routes in the tower layer `l`
    /// (`Router::route_layer`), so a plugin installed this way covers one route group.
    pub fn layer<L>(&self, layer: L) -> LayerBlock<L> {
        LayerBlock { layer }
    }
}

/// A `routing!` block: what `Blocks.name(..)` returns. After its `key = value` setters ran,
/// [`wrap`](Self::wrap) gets the routes of the block's body; the result is merged into the
/// enclosing routes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a routing block for state `{S}`",
    label = "not a routing block",
    note = "a block's method on `Blocks` returns a type implementing `oxtor::routing::RoutingBlock<S>`"
)]
pub trait RoutingBlock<S> {
    /// Wraps the block's routes: a layer ([`Routes::route_layer`]), a guard run inside each
    /// route's handler ([`Routes::guard`]), start-up checks (`routes.check(..)`), or several.
    fn wrap(self, routes: Routes<S>) -> Routes<S>;
}

/// The block built by [`Blocks::layer`].
#[derive(Debug, Clone)]
pub struct LayerBlock<L> {
    layer: L,
}

impl<S, L> RoutingBlock<S> for LayerBlock<L>
where
    S: Clone + Send + Sync + 'static,
    L: Layer<AxumRoute> + Clone + Send + Sync + 'static,
    L::Service: Service<Request> + Clone + Send + Sync + 'static,
    <L::Service as Service<Request>>::Response: IntoResponse + 'static,
    <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
{
    fn wrap(self, routes: Routes<S>) -> Routes<S> {
        routes.route_layer(self.layer)
    }
}
