//! [`Routes`]: what `routing!` builds — an axum router plus the start-up checks its blocks
//! attach — and [`RouteContext`], what those checks see.
use std::fmt;

use axum::Router;

use super::{Route, RouteCheck};
use crate::Result;

/// A route tree and the start-up checks its blocks attached (e.g. "the provider this
/// `authenticate(..)` block names is installed"). What `routing! { .. }` returns.
///
/// [`Application::routing`](crate::Application::routing) runs the checks, in order, against the
/// application at that moment, then adds the routes. Converting to a plain `axum::Router`
/// ([`into_router`](Self::into_router), `Router::from`, `Router::merge(routes)`) drops the
/// checks: an application served that way does not get them.
///
/// # Example
/// ```
/// use axum::{routing::get, Router};
/// use oxtor_runtime::{routing::Routes, Application, Error};
///
/// let api = Routes::from(Router::new().route("/books", get(|| async { "[]" })))
///     .check(|cx| {
///         if cx.installed("Auth") {
///             Ok(())
///         } else {
///             Err(Error::RouteCheck("`/api` needs the `Auth` plugin".into()))
///         }
///     });
/// let routes = Routes::new().nest("/api", api);
///
/// let mut app = Application::new(());
/// let err = app.routing(routes).unwrap_err();
/// assert_eq!(err.to_string(), "`/api` needs the `Auth` plugin");
/// ```
#[must_use = "routes do nothing until given to `Application::routing`"]
pub struct Routes<S = ()> {
    router: Router<S>,
    checks: Vec<RouteCheck>,
}

impl<S> fmt::Debug for Routes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("router", &self.router)
            .field("checks", &self.checks.len())
            .finish()
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// No routes, no checks.
    pub fn new() -> Self {
        Self {
            router: Router::new(),
            checks: Vec::new(),
        }
    }

    /// Adds `route` at its path. What `routing! { route_name }` expands to (through
    /// [`mount`](super::mount)).
    pub fn mount<M, R: Route<S, M>>(self, route: R) -> Self {
        self.map_router(|router| router.route(R::PATH, route.method_router()))
    }

    /// Nests `routes` under `prefix` (`Router::nest`), keeping their checks.
    /// What `routing! { route("/api") { .. } }` expands to.
    pub fn nest(mut self, prefix: &str, routes: Routes<S>) -> Self {
        self.router = self.router.nest(prefix, routes.router);
        self.checks.extend(routes.checks);
        self
    }

    /// Merges `routes` in (`Router::merge`), keeping their checks.
    pub fn merge(mut self, routes: impl Into<Routes<S>>) -> Self {
        let routes = routes.into();
        self.router = self.router.merge(routes.router);
        self.checks.extend(routes.checks);
        self
    }

    /// Transforms the router, keeping the checks; e.g.
    /// `routes.map_router(|r| r.route_layer(layer))` in a [`RoutingBlock`](super::RoutingBlock).
    pub fn map_router(mut self, f: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.router = f(self.router);
        self
    }

    /// Adds a start-up check, run by [`Application::routing`](crate::Application::routing)
    /// after the checks already attached.
    pub fn check(
        mut self,
        check: impl FnOnce(&mut RouteContext<'_>) -> Result<()> + Send + 'static,
    ) -> Self {
        self.checks.push(Box::new(check));
        self
    }

    /// The plain axum router, dropping the checks.
    pub fn into_router(self) -> Router<S> {
        self.router
    }

    /// The router and the checks, for [`Application::routing`](crate::Application::routing).
    pub(crate) fn into_parts(self) -> (Router<S>, Vec<RouteCheck>) {
        (self.router, self.checks)
    }
}

impl<S: Clone + Send + Sync + 'static> From<Router<S>> for Routes<S> {
    /// Routes without checks.
    fn from(router: Router<S>) -> Self {
        Self {
            router,
            checks: Vec::new(),
        }
    }
}

impl<S> From<Routes<S>> for Router<S> {
    /// The plain axum router; the checks are dropped (see [`Routes`]).
    fn from(routes: Routes<S>) -> Self {
        routes.router
    }
}

/// What a [`RouteCheck`] sees: the application's plugin data at the moment the routes are added.
#[derive(Debug)]
pub struct RouteContext<'a> {
    extensions: &'a http::Extensions,
    installed: &'a [&'static str],
}

impl<'a> RouteContext<'a> {
    pub(crate) fn new(extensions: &'a http::Extensions, installed: &'a [&'static str]) -> Self {
        Self {
            extensions,
            installed,
        }
    }

    /// The application's plugin data (see
    /// [`Application::extensions`](crate::Application::extensions)).
    pub fn extensions(&self) -> &http::Extensions {
        self.extensions
    }

    /// Whether a plugin of this name is installed.
    pub fn installed(&self, name: &str) -> bool {
        self.installed.contains(&name)
    }
}
