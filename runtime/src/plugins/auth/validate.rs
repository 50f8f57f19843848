//! Type-erased `validate` functions: a user's `|credential| async move { Some(principal) }`
//! stored as a [`Validator`] whose result stores the principal in the request.
use std::{future::Future, sync::Arc};

use futures_util::{future::BoxFuture, FutureExt};

use super::context::AuthContext;

/// Stores a validated principal in the request.
pub(crate) struct SetPrincipal(Box<dyn FnOnce(&mut AuthContext) + Send>);

impl SetPrincipal {
    pub(crate) fn apply(self, cx: &mut AuthContext) {
        (self.0)(cx)
    }
}

/// A `validate` function for credentials `C`.
pub(crate) type Validator<C> =
    Arc<dyn Fn(C) -> BoxFuture<'static, Option<SetPrincipal>> + Send + Sync>;

/// Erases `f`'s principal type.
pub(crate) fn validator<C, F, Fut, T>(f: F) -> Validator<C>
where
    C: 'static,
    F: Fn(C) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<T>> + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    Arc::new(move |credential| {
        f(credential)
            .map(|principal| {
                principal.map(|p| {
                    SetPrincipal(Box::new(move |cx: &mut AuthContext| cx.set_principal(p)))
                })
            })
            .boxed()
    })
}
