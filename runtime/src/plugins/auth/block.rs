//! The `authenticate(..) { .. }` routing block: [`AuthenticateBlocks`] adds it to
//! [`Blocks`](crate::routing::Blocks), [`AuthenticateBlock`] guards the block's routes with an
//! [`AuthenticateLayer`]'s check ([`Routes::guard`]: inside each route's handler) and attaches the start-up check that binds it to the providers the
//! `Authentication` plugin installed.
//!
//! `routing! { authenticate("key", "t", optional = true) { routes } }` expands to
//! `{ let mut b = Blocks.authenticate(("key", "t")); b.optional(true); RoutingBlock::wrap(b, routes) }`.
use super::{AuthenticateLayer, ProviderName, ProviderNames, ProviderRegistry};
use crate::{
    routing::{Blocks, Routes, RoutingBlock},
    Error,
};

/// Adds the `authenticate(names..) { routes }` block to `routing!` (re-exported by
/// `oxtor::prelude`).
pub trait AuthenticateBlocks {
    /// The `authenticate` block protecting its routes with the providers `names` (in order;
    /// `None` for the default provider); its key is [`AuthenticateBlock::optional`].
    fn authenticate<N: ProviderNames>(&self, names: N) -> AuthenticateBlock;
}

impl AuthenticateBlocks for Blocks {
    fn authenticate<N: ProviderNames>(&self, names: N) -> AuthenticateBlock {
        AuthenticateBlock {
            names: names.into_names(),
            optional: false,
        }
    }
}

/// The block built by [`AuthenticateBlocks::authenticate`]. See the
/// [module docs](crate::plugins::auth).
#[derive(Clone, Debug)]
pub struct AuthenticateBlock {
    names: Vec<ProviderName>,
    optional: bool,
}

impl AuthenticateBlock {
    /// Ktor's `authenticate(optional = true)`: without any credentials (or with only `Error`
    /// failures) the routes run without a principal; invalid credentials are still refused.
    pub fn optional(&mut self, optional: bool) -> &mut Self {
        self.optional = optional;
        self
    }
}

impl<S: Clone + Send + Sync + 'static> RoutingBlock<S> for AuthenticateBlock {
    fn wrap(self, routes: Routes<S>) -> Routes<S> {
        let layer = AuthenticateLayer::unbound(self.names, self.optional);
        let binding = layer.clone();
        routes
            .guard(layer.guard())
            .check(move |cx| {
                let Some(registry) = cx.extensions().get::<ProviderRegistry>() else {
                    let names: Vec<String> = binding.names().iter().map(ToString::to_string).collect();
                    return Err(Error::RouteCheck(format!(
                        "authenticate({}): the `Authentication` plugin is not installed; install it (install!(Authentication {{ .. }})) before adding these routes",
                        names.join(", ")
                    )));
                };
                binding
                    .bind(registry)
                    .map_err(|e| Error::RouteCheck(e.to_string()))
            })
    }
}
