//! Routes and route blocks: the [`Route`] trait that `#[route]` implements, [`Routes`] that
//! `routing!` builds (a router plus start-up [`RouteCheck`]s), and [`Blocks`], the value whose
//! methods are `routing!`'s `name(args) { routes }` blocks.
//!
//! `routing! { a, route("/api") { b }, layer(l) { c } }` desugars to
//! ```text
//! let r = Routes::new();
//! let r = mount(r, a {});
//! let r = r.nest("/api", { let r = Routes::new(); mount(r, b {}) });
//! let r = r.merge({ let block = Blocks.layer(l); RoutingBlock::wrap(block, { let r = Routes::new(); mount(r, c {}) }) });
//! ```
//! A block is a method call on [`Blocks`], so rustc resolves its name: `layer` is inherent, other
//! blocks come from extension traits a plugin exports (`LifecycleBlocks::lifecycle`; `use
//! oxtor::prelude::*` brings oxtor's in scope), and a misspelt block is rustc's "no method named
//! `layr` found for struct `Blocks`" at the user's token. Positional arguments are passed as they
//! are, several of them as one tuple: `name()`, `name(a)`, `name((a, b))`. Keys are setters, as in
//! `install!`: `lifecycle(cancel_call_on_close = false) { .. }` is
//! `{ let mut block = Blocks.lifecycle(); block.cancel_call_on_close(false); RoutingBlock::wrap(block, ..) }`.
//!
//! # Example: a route by hand
//! Writing by hand what `#[route(GET, "/hello")]` generates:
//! ```
//! use oxtor_runtime::routing::{mount, Route, Routes};
//! use axum::{routing::{get, MethodRouter}, Router};
//!
//! async fn hello() -> &'static str { "Hello, world!" }
//!
//! #[allow(non_camel_case_types)]
//! struct hello_route {}
//! impl<S: Clone + Send + Sync + 'static> Route<S, ()> for hello_route {
//!     const PATH: &'static str = "/hello";
//!     const METHODS: &'static [http::Method] = &[http::Method::GET];
//!     fn method_router(self) -> MethodRouter<S> { get(hello) }
//! }
//!
//! let routes: Routes = mount(Routes::new(), hello_route {});
//! let _router: Router = routes.into_router();
//! ```
//!
//! # Example: a block of one's own
//! A plugin crate adds `traced("name") { .. }` to `routing!` with an extension trait on
//! [`Blocks`] and a [`RoutingBlock`]; this one also attaches a start-up check.
//! ```
//! use axum::{middleware::{from_fn, Next}, extract::Request, routing::get, Router};
//! use oxtor_runtime::{routing::{Blocks, RoutingBlock, Routes}, Application, Error};
//!
//! /// Adds the `traced(name) { .. }` block.
//! pub trait TracedBlocks {
//!     /// Logs each call of the block's routes under `name`.
//!     fn traced(&self, name: &'static str) -> TracedBlock;
//! }
//! impl TracedBlocks for Blocks {
//!     fn traced(&self, name: &'static str) -> TracedBlock { TracedBlock { name, required: false } }
//! }
//!
//! pub struct TracedBlock { name: &'static str, required: bool }
//! impl TracedBlock {
//!     /// `traced(.., required = true)`: refuse to start without the `Tracing` plugin.
//!     pub fn required(&mut self, required: bool) -> &mut Self { self.required = required; self }
//! }
//! impl<S: Clone + Send + Sync + 'static> RoutingBlock<S> for TracedBlock {
//!     fn wrap(self, routes: Routes<S>) -> Routes<S> {
//!         let name = self.name;
//!         let routes = routes.map_router(|r| r.route_layer(from_fn(move |req: Request, next: Next| async move {
//!             tracing::info!(block = name, path = %req.uri().path());
//!             next.run(req).await
//!         })));
//!         if !self.required { return routes; }
//!         routes.check(move |cx| match cx.installed("Tracing") {
//!             true => Ok(()),
//!             false => Err(Error::RouteCheck(format!("traced(\"{name}\"): the `Tracing` plugin is not installed"))),
//!         })
//!     }
//! }
//!
//! // What `routing! { traced("books", required = true) { books } }` expands to:
//! let routes: Routes = {
//!     let mut block = Blocks.traced("books");
//!     block.required(true);
//!     RoutingBlock::wrap(block, Routes::from(Router::new().route("/books", get(|| async { "[]" }))))
//! };
//! let err = Application::new(()).routing(routes).unwrap_err();
//! assert_eq!(err.to_string(), "traced(\"books\"): the `Tracing` plugin is not installed");
//! ```
use axum::routing::MethodRouter;

mod block;
pub mod direct;
pub mod guard;
pub(crate) mod root_path;
mod routes;
mod table;

#[doc(inline)]
pub use block::{Blocks, LayerBlock, RoutingBlock};
#[doc(inline)]
pub use direct::DirectHandler;
#[doc(inline)]
pub use guard::{Guarded, RouteGuard, RouteGuards};
pub(crate) use routes::RoutesParts;
#[doc(inline)]
pub use routes::{RouteContext, Routes};
#[doc(inline)]
pub use table::RouteConflict;
pub(crate) use table::RouteTable;

/// A route: a path template and the method router serving it. `#[route(GET, "/p")]` implements
/// it for a same-named braced struct.
///
/// `M` is inferred, as in axum's `Handler<T, S>`: it records how the handler's last argument is
/// extracted, so that one generic impl covers handlers whatever their state type.
///
/// For `#[route(GET | HEAD, "/books/{id}")] async fn book(a: A, b: B)` the macro generates
/// ```text
/// impl<S, M> Route<S, M> for book
/// where S: Clone + Send + Sync + 'static, M: 'static,
///       A: FromRequestParts<S> + Send, B: FromRequest<S, M> + Send
/// {
///     const PATH: &'static str = "/books/{id}";
///     const METHODS: &'static [Method] = &[Method::GET, Method::HEAD];
///     fn method_router(self) -> MethodRouter<S> { on(MethodFilter::GET.or(MethodFilter::HEAD), book) }
/// }
/// ```
/// and `impl<S> Route<S, ()>` for a handler without arguments. On a path without parameters it
/// also implements [`direct_handler`](Self::direct_handler) (see [`direct`]). Writing such an
/// impl by hand (see the [module docs](self)) is equally supported.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route for state `{S}`",
    label = "not a route",
    note = "annotate an async fn with `#[route(GET, \"/path\")]`; its extractors must work with the application's state"
)]
pub trait Route<S, M> {
    /// The path template, axum syntax (`/books/{id}`, `/static/{*path}`).
    const PATH: &'static str;

    /// The methods [`method_router`](Self::method_router) serves, which [`Routes`] checks for
    /// conflicts before mounting (`&[Method::GET, Method::HEAD]` for `GET | HEAD`).
    const METHODS: &'static [http::Method];

    /// The method router serving [`PATH`](Self::PATH).
    fn method_router(self) -> MethodRouter<S>;

    /// The method router serving [`PATH`](Self::PATH) after `guards` (the
    /// [`RouteGuard`]s of the blocks around the route). `#[route]` runs them inside the
    /// handler ([`RouteGuards::handler`]: `on(filter, guards.handler(book))`), one future with
    /// it; this default wraps [`method_router`](Self::method_router) in a `route_layer`.
    fn guarded_method_router(self, guards: RouteGuards) -> MethodRouter<S>
    where
        Self: Sized,
        S: Clone + Send + Sync + 'static,
    {
        let router = self.method_router();
        // axum panics on a `route_layer` over a method router serving nothing.
        match Self::METHODS.is_empty() {
            true => router,
            false => router.route_layer(guard::GuardLayer::new(guards)),
        }
    }

    /// The route's handler, for [direct dispatch](direct) of a static path: the application
    /// calls it without axum's routing (after the guards of the blocks around it) when no route
    /// layer wraps it. `#[route]` returns its handler for paths without parameters; `None` (the
    /// default) leaves every call to the router. It must serve exactly what
    /// [`method_router`](Self::method_router) serves for [`METHODS`](Self::METHODS).
    fn direct_handler(&self) -> Option<DirectHandler<S>> {
        None
    }
}

/// Adds `route` to `routes` at its path. What `routing! { route_name }` expands to.
pub fn mount<S, M, R>(routes: Routes<S>, route: R) -> Routes<S>
where
    S: Clone + Send + Sync + 'static,
    R: Route<S, M> + Send + 'static,
{
    routes.mount(route)
}

/// A start-up check attached to [`Routes`] by a block (e.g. "the provider this block names is
/// installed"); [`Application::routing`](crate::Application::routing) runs it with the
/// application's plugin data and refuses the routes if it fails.
pub type RouteCheck = Box<dyn FnOnce(&mut RouteContext<'_>) -> crate::Result<()> + Send>;
