//! Routes and route blocks: the [`Route`] trait that `#[route]` implements, [`mount`] that
//! `routing!` calls for each route, and [`blocks`], the functions behind `routing!`'s
//! `name(args) { routes }` blocks.
//!
//! `routing! { a, route("/api") { b }, layer(l) { c } }` desugars to
//! ```text
//! let r = Router::new();
//! let r = mount(r, a);
//! let r = r.nest("/api", { let r = Router::new(); mount(r, b) });
//! let r = r.merge(RoutingBlock::wrap(blocks::layer(l), { let r = Router::new(); mount(r, c) }));
//! ```
//! A block with keys, `lifecycle(cancel_call_on_close = false) { .. }`, desugars as `install!`
//! does: `{ let mut b = blocks::lifecycle(); b.cancel_call_on_close(false); b }`.
//!
//! # Example
//! Writing by hand what `#[route(GET, "/hello")]` generates:
//! ```
//! use oxtor_runtime::routing::{mount, Route};
//! use axum::{routing::{get, MethodRouter}, Router};
//!
//! async fn hello() -> &'static str { "Hello, world!" }
//!
//! #[allow(non_camel_case_types)]
//! struct hello_route {}
//! impl<S: Clone + Send + Sync + 'static> Route<S, ()> for hello_route {
//!     const PATH: &'static str = "/hello";
//!     fn method_router(self) -> MethodRouter<S> { get(hello) }
//! }
//!
//! let router: Router = mount(Router::new(), hello_route {});
//! # let _ = router;
//! ```
use axum::{routing::MethodRouter, Router};

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
///     fn method_router(self) -> MethodRouter<S> { on(MethodFilter::GET.or(MethodFilter::HEAD), book) }
/// }
/// ```
/// and `impl<S> Route<S, ()>` for a handler without arguments; writing such an impl by hand (see
/// the [module docs](self)) is equally supported.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a route for state `{S}`",
    label = "not a route",
    note = "annotate an async fn with `#[route(GET, \"/path\")]`; its extractors must work with the application's state"
)]
pub trait Route<S, M> {
    /// The path template, axum syntax (`/books/{id}`, `/static/{*path}`).
    const PATH: &'static str;

    /// The method router serving [`PATH`](Self::PATH).
    fn method_router(self) -> MethodRouter<S>;
}

/// Adds `route` to `router` at its path. What `routing! { route_name }` expands to.
pub fn mount<S, M, R>(router: Router<S>, route: R) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    R: Route<S, M>,
{
    router.route(R::PATH, route.method_router())
}

/// A `routing!` block: something that wraps the router of its nested routes. See [`blocks`].
pub trait RoutingBlock<S> {
    /// Wraps the nested routes; the result is merged into the enclosing router.
    fn wrap(self, router: Router<S>) -> Router<S>;
}

/// The functions behind `routing!`'s blocks. `name(args) { routes }` calls `blocks::name(args)`,
/// then one builder method per `key = value`, then [`RoutingBlock::wrap`].
pub mod blocks {
    use std::convert::Infallible;

    use axum::{extract::Request, response::IntoResponse, routing::Route as AxumRoute, Router};
    use tower_layer::Layer;
    use tower_service::Service;

    use super::RoutingBlock;

    #[doc(inline)]
    pub use crate::plugins::lifecycle::{lifecycle, LifecycleBlock};

    /// `layer(l) { routes }`: wraps only the nested routes in the tower layer `l`, so a plugin
    /// installed this way covers one route group.
    pub fn layer<L>(layer: L) -> LayerBlock<L> {
        LayerBlock { layer }
    }

    /// The block built by [`layer`].
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
        fn wrap(self, router: Router<S>) -> Router<S> {
            router.route_layer(self.layer)
        }
    }
}
