//! The `lifecycle` routing block: `routing! { lifecycle(cancel_call_on_close = false) { .. } }`
//! sets the policy of the routes inside it. [`LifecycleBlocks`] adds it to
//! [`Blocks`](crate::routing::Blocks).
use super::LifecycleLayer;
use crate::routing::{Blocks, Routes, RoutingBlock};

/// Adds the `lifecycle(cancel_call_on_close = ..) { routes }` block to `routing!` (re-exported
/// by `oxtor::prelude`). Without a key the block does not cancel (Ktor's default).
pub trait LifecycleBlocks {
    /// The `lifecycle` block; its key is [`LifecycleBlock::cancel_call_on_close`].
    fn lifecycle(&self) -> LifecycleBlock;
}

impl LifecycleBlocks for Blocks {
    fn lifecycle(&self) -> LifecycleBlock {
        LifecycleBlock::default()
    }
}

/// The block built by [`LifecycleBlocks::lifecycle`]. See the
/// [module docs](crate::plugins::lifecycle).
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
    fn wrap(self, routes: Routes<S>) -> Routes<S> {
        let layer = LifecycleLayer::new(self.cancel_call_on_close);
        routes.route_layer(layer)
    }
}
