//! [`Routes`]: what `routing!` builds — an axum router plus the start-up checks its blocks
//! attach — and [`RouteContext`], what those checks see.
use std::{convert::Infallible, fmt, sync::Arc};

use axum::{
    extract::Request,
    response::IntoResponse,
    routing::{MethodRouter, Route as AxumRoute},
    Router,
};
use tower_layer::Layer;
use tower_service::Service;

use super::{
    direct::DirectRoute,
    guard::{GuardLayer, RouteGuard, RouteGuards},
    table::RouteTable,
    Route, RouteCheck, RouteConflict,
};
use crate::Result;

/// A route tree and the start-up checks its blocks attached (e.g. "the provider this
/// `authenticate(..)` block names is installed"). What `routing! { .. }` returns.
///
/// [`Application::routing`](crate::Application::routing) runs the checks, in order, against the
/// application at that moment, then adds the routes. Converting to a plain `axum::Router`
/// ([`into_router`](Self::into_router), `Router::from`, `Router::merge(routes)`) drops the
/// checks: an application served that way does not get them.
///
/// Routes [`mount`](Self::mount)ed here reach the router only when it is needed (nesting,
/// [`map_router`](Self::map_router), [`route_layer`](Self::route_layer), `Application::routing`),
/// so that an enclosing block's [`guard`](Self::guard) runs inside their handlers rather than
/// as one more service level.
///
/// `Routes` also keeps the (path, methods) of every route it mounted, nested and merged, and checks
/// each addition the way axum would: a method routed twice on one path, or a path template axum
/// cannot tell apart from one already there, is not added but kept as a
/// [`RouteConflict`] that `Application::routing` returns — where axum would panic. Routes added
/// as a plain `axum::Router` (`Routes::from(router)`, [`map_router`](Self::map_router)) are not
/// known to it: axum itself rejects those, by panicking, as it does outside oxtor.
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
    /// Routes mounted here and not yet in `router`: a guarding block puts its guard in their
    /// handlers (see [`guard`](Self::guard)). Added to `router` when it is needed.
    pending: Vec<Pending<S>>,
    checks: Vec<RouteCheck>,
    table: RouteTable,
    /// The first conflict found; the conflicting route was left out of `router`.
    conflict: Option<RouteConflict>,
    /// The routes here that can be called without axum's routing (see
    /// [`direct`](super::direct)), with their guards; a route layer over them drops them all.
    direct: Vec<DirectRoute<S>>,
}

impl<S> fmt::Debug for Routes<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routes")
            .field("router", &self.router)
            .field("pending", &self.pending.len())
            .field("checks", &self.checks.len())
            .field("conflict", &self.conflict)
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
        Self::from(Router::new())
    }

    /// Adds `route` at its path ([`Route::PATH`] for [`Route::METHODS`]), unless that conflicts
    /// with a route already mounted (see [`conflict`](Self::conflict)). What
    /// `routing! { route_name }` expands to (through [`mount`](super::mount)).
    pub fn mount<M, R: Route<S, M> + Send + 'static>(mut self, route: R) -> Self {
        match self.table.add(R::PATH, R::METHODS) {
            Ok(()) => {
                // (A path with parameters, here or from a prefix it gets nested under, is left
                // out when the application builds its table of them.)
                if let Some(handler) = route.direct_handler() {
                    self.direct.push(DirectRoute::new(R::PATH, handler));
                }
                self.pending.push(Pending {
                    path: R::PATH,
                    guards: Vec::new(),
                    make: Box::new(move |guards| match guards {
                        Some(guards) => route.guarded_method_router(guards),
                        None => route.method_router(),
                    }),
                });
            }
            Err(conflict) => self.record(conflict),
        }
        self
    }

    /// Adds the routes mounted here and not yet in the router, with their guards.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut router = std::mem::take(&mut self.router);
        for pending in self.pending.drain(..) {
            let guards = (!pending.guards.is_empty()).then(|| RouteGuards::new(pending.guards));
            router = router.route(pending.path, (pending.make)(guards));
        }
        self.router = router;
    }

    /// Runs `guard` before every route here (see [`RouteGuard`]): inside the handler of each
    /// route mounted in this block ([`mount`](Self::mount), `routing! { route }`), as a
    /// `route_layer` over the others (nested groups, plain axum routers), and before the direct
    /// call of those the application calls without axum's routing ([`direct`](super::direct)).
    /// Guards added later (by enclosing blocks) run first.
    pub fn guard(mut self, guard: Arc<dyn RouteGuard>) -> Self {
        for route in &mut self.direct {
            route.guard(&guard);
        }
        for pending in &mut self.pending {
            pending.guards.insert(0, guard.clone());
        }
        if self.router.has_routes() {
            let layer = GuardLayer::new(RouteGuards::new([guard]));
            self.router = std::mem::take(&mut self.router).route_layer(layer);
        }
        self
    }

    /// Nests `routes` under `prefix` (`Router::nest`), keeping their checks. What
    /// `routing! { route("/api") { .. } }` expands to. If one of them conflicts with a route
    /// already here, none is added (see [`conflict`](Self::conflict)).
    pub fn nest(mut self, prefix: &str, routes: Routes<S>) -> Self {
        self.add(Some(prefix), routes);
        self
    }

    /// Merges `routes` in (`Router::merge`), keeping their checks. If one of them conflicts
    /// with a route already here, none is added (see [`conflict`](Self::conflict)).
    pub fn merge(mut self, routes: impl Into<Routes<S>>) -> Self {
        self.add(None, routes.into());
        self
    }

    /// [`nest`](Self::nest) (with a prefix) or [`merge`](Self::merge).
    fn add(&mut self, prefix: Option<&str>, mut routes: Routes<S>) {
        self.checks.append(&mut routes.checks);
        if let Some(conflict) = routes.conflict.take() {
            self.record(conflict);
        }
        if let Err(conflict) = self.table.add_all(prefix, &routes.table) {
            self.record(conflict);
            return;
        }
        let direct = routes.direct.drain(..);
        match prefix {
            Some(prefix) => self.direct.extend(direct.map(|route| route.nested(prefix))),
            None => self.direct.extend(direct),
        }
        let router = std::mem::take(&mut self.router);
        self.router = match prefix {
            Some(prefix) => {
                routes.flush();
                router.nest(prefix, routes.router)
            }
            // Merged routes still pending stay so: an enclosing block may guard them.
            None => {
                self.pending.append(&mut routes.pending);
                router.merge(routes.router)
            }
        };
    }

    /// Keeps the first conflict.
    fn record(&mut self, conflict: RouteConflict) {
        self.conflict.get_or_insert(conflict);
    }

    /// The first route that could not be added because it conflicts with one already mounted
    /// (the same method on the same path, or a template axum cannot tell apart from another);
    /// [`Application::routing`](crate::Application::routing) refuses these routes with it.
    pub fn conflict(&self) -> Option<&RouteConflict> {
        self.conflict.as_ref()
    }

    /// Transforms the router, keeping the checks; e.g.
    /// `routes.map_router(|r| r.route_layer(layer))` in a [`RoutingBlock`](super::RoutingBlock).
    pub fn map_router(mut self, f: impl FnOnce(Router<S>) -> Router<S>) -> Self {
        self.flush();
        // `f` may wrap the routes (`route_layer`): they are no longer called directly.
        self.direct.clear();
        self.router = f(self.router);
        self
    }

    /// Wraps the routes in `layer` (axum's `Router::route_layer`): only a matched route runs
    /// it, so an unmatched path stays a plain 404. A block with no routes is returned as it is
    /// (axum panics on a `route_layer` without routes; an empty block wraps nothing).
    pub fn route_layer<L>(self, layer: L) -> Self
    where
        L: Layer<AxumRoute> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.map_router(|router| match router.has_routes() {
            true => router.route_layer(layer),
            false => router,
        })
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
    pub fn into_router(mut self) -> Router<S> {
        self.flush();
        self.router
    }

    /// The parts [`Application::routing`](crate::Application::routing) uses.
    pub(crate) fn into_parts(mut self) -> RoutesParts<S> {
        self.flush();
        RoutesParts {
            router: self.router,
            checks: self.checks,
            table: self.table,
            conflict: self.conflict,
            direct: self.direct,
        }
    }
}

/// A route mounted in a [`Routes`], not yet in its router.
struct Pending<S> {
    path: &'static str,
    /// Outermost block's first.
    guards: Vec<Arc<dyn RouteGuard>>,
    /// The route's method router, its handlers guarded by the guards given.
    make: Box<dyn FnOnce(Option<RouteGuards>) -> MethodRouter<S> + Send>,
}

/// A [`Routes`] taken apart.
pub(crate) struct RoutesParts<S> {
    pub(crate) router: Router<S>,
    pub(crate) checks: Vec<RouteCheck>,
    pub(crate) table: RouteTable,
    pub(crate) conflict: Option<RouteConflict>,
    pub(crate) direct: Vec<DirectRoute<S>>,
}

impl<S: Clone + Send + Sync + 'static> From<Router<S>> for Routes<S> {
    /// Routes without checks, whose routes are not known to the conflict check (see
    /// [`Routes`]).
    fn from(router: Router<S>) -> Self {
        Self {
            router,
            pending: Vec::new(),
            checks: Vec::new(),
            table: RouteTable::default(),
            conflict: None,
            direct: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> From<Routes<S>> for Router<S> {
    /// The plain axum router; the checks are dropped (see [`Routes`]).
    fn from(routes: Routes<S>) -> Self {
        routes.into_router()
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
