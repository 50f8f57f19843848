//! The `lifecycle` routing block: `routing! { lifecycle(cancel_call_on_close = false) { .. } }`
//! sets the policy of the routes inside it.
use axum::Router;

use super::LifecycleLayer;
use crate::routing::RoutingBlock;

/// `lifecycle(cancel_call_on_close = ..) { routes }`: the block behind `routing!`'s
/// `lifecycle` (see [`blocks`](crate::routing::blocks)). Without a key it does not cancel
/// (Ktor's default).
pub fn lifecycle() -> LifecycleBlock {
    LifecycleBlock::default()
}

/// The block built by [`lifecycle`]. See the [module docs](crate::plugins::lifecycle).
#[derive(Clone, Debug, Default)]
pub struct LifecycleBlock {
    cancel_call_on_close: bool,
}

impl LifecycleBlock {
    /// Whether the block's calls are cancelled when their client goes away.
    pub fn cancel_call_on_close(&mut self, cancel: bool) -> &mut Self {
        self.cancel_call_on_close = cancel;
        self
    }
}

impl<S: Clone + Send + Sync + 'static> RoutingBlock<S> for LifecycleBlock {
    fn wrap(self, router: Router<S>) -> Router<S> {
        router.route_layer(LifecycleLayer::new(self.cancel_call_on_close))
    }
}
