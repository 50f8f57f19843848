//! The service an application is served as: [`AppService`], the router with every app-wide
//! plugin layer applied once around it, outside routing — as Ktor runs its plugins before
//! routing.
//!
//! Each layer ([`Application::layer`](super::Application::layer)) wraps the whole router one
//! time, not each route: a call goes through the layers first (also a call no route matches,
//! answered 404 or 405), then through axum's routing — or, for a `#[route]` on a static path that
//! nothing wraps, straight to its handler ([direct dispatch](crate::routing::direct)). Each level
//! is erased behind an `Arc`, so cloning the stack for a call copies no layer and allocates
//! nothing; a call costs one boxed future per layer, and nothing extra without layers (then the
//! service is the router itself, with the application's directly dispatched routes beside it).
//! A call that goes through axum's routing boxes the router's future (320 bytes, most of it the
//! request axum holds until its route is ready), so that an [`AppFuture`] is a few words: the
//! engine and hyper move it, and a layer's box holds it, on every call's way.
//! oxtor's engine gives each connection a clone of the outermost layer's service of its own,
//! which the connection's calls use in turn (tower's `poll_ready`, then `call`, on one
//! instance), so that a call clones nothing there; under `axum::serve`, each call clones it.
//!
//! Since the layers run before routing, a layer that rewrites the request's method or URI
//! changes the route it reaches (Ktor's plugins can do the same), and a layer does not see what
//! routing adds to the request (axum's `MatchedPath`, URL parameters): a layer that needs those
//! belongs on the routes (`routing! { layer(..) { .. } }`, `Router::route_layer`).
//!
//! # Example
//! ```
//! use axum::{body::Body, middleware::map_response, response::Response, routing::get, Router};
//! use oxtor_runtime::{app::AppService, Application};
//! use tower::ServiceExt;
//!
//! async fn tag(mut res: Response) -> Response {
//!     res.headers_mut().insert("x-app", http::HeaderValue::from_static("1"));
//!     res
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let mut app = Application::new(());
//! app.layer(map_response(tag));
//! app.routing(Router::new().route("/", get(|| async { "hi" }))).unwrap();
//! let service: AppService = app.into_service();
//! // The layer sees every call, also one no route matches.
//! let req = http::Request::get("/missing").body(Body::empty()).unwrap();
//! let res = service.clone().oneshot(req).await.unwrap();
//! assert_eq!(res.status(), 404);
//! assert_eq!(res.headers()["x-app"], "1");
//! // `axum::serve(listener, service)` serves it as is; as a plain axum::Router:
//! let _router: Router = service.into_router();
//! # }
//! ```
use std::{
    cell::Cell,
    convert::Infallible,
    fmt,
    future::Future,
    panic::{catch_unwind, AssertUnwindSafe},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, Waker},
};

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
    routing::future::RouteFuture,
    serve::{IncomingStream, Listener},
    Router,
};
use pin_project_lite::pin_project;
use tower::ServiceExt;
use tower_layer::Layer;
use tower_service::Service;

use crate::routing::direct::{DirectFuture, DirectRoutes};

/// The application as one tower service: its router, and around it every app-wide layer, in
/// install order (the first installed is outermost). What oxtor's engine serves; a clone is
/// cheap (one reference count). See the [module docs](self).
#[derive(Clone)]
pub struct AppService {
    inner: Inner,
    /// The directly dispatched routes within ([`Direct::address`]: `inner` holds them), when no
    /// layer around them reads a response's `Content-Length`, else 0: under oxtor's engine,
    /// their responses leave that header to hyper (see
    /// [`layer_ignoring_content_length`](Self::layer_ignoring_content_length)). An address, not
    /// a reference count: a clone of the service (one per call under `axum::serve`) touches one
    /// count, as before.
    engine_length: usize,
}

#[derive(Clone)]
enum Inner {
    /// No app-wide layer: the router itself.
    Router(Router),
    /// No app-wide layer: the router, and the routes called without it.
    Direct(Arc<Direct>),
    /// The outermost layer's service, erased.
    Layered(Arc<dyn Erased>),
}

impl fmt::Debug for AppService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layered = matches!(self.inner, Inner::Layered(_));
        f.debug_struct("AppService")
            .field("layered", &layered)
            .finish_non_exhaustive()
    }
}

impl AppService {
    /// The router alone, served as it is.
    pub fn new(router: Router) -> Self {
        Self::routed(router, None)
    }

    /// The router, and the application's routes that are called without it (see
    /// [`direct`](crate::routing::direct)).
    pub(crate) fn routed(router: Router, direct: Option<DirectRoutes>) -> Self {
        let (inner, engine_length) = match direct {
            Some(direct) => {
                let direct = Arc::new(Direct { router, direct });
                let address = direct.address();
                (Inner::Direct(direct), address)
            }
            None => (Inner::Router(router), 0),
        };
        Self {
            inner,
            engine_length,
        }
    }

    /// Wraps this service (the router and the layers applied so far) in `layer`, which becomes
    /// the outermost: it sees every call first and its response last.
    ///
    /// Any tower layer whose service answers `axum::extract::Request` with something
    /// `IntoResponse` and never fails (`Error: Into<Infallible>`) fits: axum's `map_request`,
    /// `map_response`, `from_fn`, tower-http's layers, oxtor's plugins.
    pub fn layer<L>(self, layer: L) -> Self
    where
        L: Layer<AppService>,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        Self {
            inner: Inner::Layered(Arc::new(layer.layer(self))),
            engine_length: 0,
        }
    }

    /// [`layer`](Self::layer), for a layer that never reads the `Content-Length` header of the
    /// responses it passes on and keeps their bodies' size (`http_body::Body::size_hint`), as
    /// oxtor's plugins do: it may look at the body's size hint, replace the body, or drop the
    /// header, but it does not need the header there.
    ///
    /// A directly dispatched route ([`direct`](crate::routing::direct)) answers with the
    /// `Content-Length` axum's routing gives a body of known size, so that a layer around it
    /// sees its response as under axum. When every layer around the routes is added this way,
    /// oxtor's engine has the routes leave that header out: hyper writes it on the wire from
    /// the body's size, for HTTP/1.1 and HTTP/2 alike, so the client sees the same response,
    /// and the call runs none of the header map's insertion code. Served otherwise
    /// (`axum::serve`, a `oneshot` call), the routes insert it as always, and so does a route
    /// that a layer calls from its response future rather than from its `call`.
    pub fn layer_ignoring_content_length<L>(self, layer: L) -> Self
    where
        L: Layer<AppService>,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        let engine_length = self.engine_length;
        Self {
            engine_length,
            ..self.layer(layer)
        }
    }

    /// The service as a plain `axum::Router`: the router itself without layers, otherwise a
    /// router whose fallback is this service (so `Router::merge` or `nest` onto it sees no
    /// routes: add routes to the [`Application`](super::Application) instead).
    pub fn into_router(self) -> Router {
        match self.inner {
            Inner::Router(router) => router,
            // (Every route is in the router; the direct ones are only called faster.)
            Inner::Direct(direct) => direct.router.clone(),
            Inner::Layered(_) => Router::new().fallback_service(self),
        }
    }

    /// Runs one call without cloning the service first (what the engine does per request).
    #[inline]
    pub(crate) fn call_ref(&self, req: Request) -> AppFuture {
        let kind = match &self.inner {
            Inner::Router(router) => Kind::routed(&mut router.clone(), req),
            Inner::Direct(direct) => direct.call(req),
            Inner::Layered(service) => Kind::Layered(service.call_erased(req)),
        };
        AppFuture { kind }
    }
}

impl From<Router> for AppService {
    fn from(router: Router) -> Self {
        Self::new(router)
    }
}

impl Service<Request> for AppService {
    type Response = Response;
    type Error = Infallible;
    type Future = AppFuture;

    /// Always ready: each layer's readiness is awaited in its call's future.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    #[inline]
    fn call(&mut self, req: Request) -> AppFuture {
        let kind = match &mut self.inner {
            Inner::Router(router) => Kind::routed(router, req),
            Inner::Direct(direct) => direct.call(req),
            Inner::Layered(service) => Kind::Layered(service.call_erased(req)),
        };
        AppFuture { kind }
    }
}

/// A router and the routes called without it (see [`direct`](crate::routing::direct)).
struct Direct {
    router: Router,
    direct: DirectRoutes,
}

impl Direct {
    /// The route's handler called directly, or the router. Not inlined: the layers around an
    /// [`AppService`] inline its `call`, which stays as small as without direct routes.
    #[inline(never)]
    fn call(&self, req: Request) -> Kind {
        match self.direct.find(&req) {
            Some(found) => {
                let content_length = ENGINE_WRITES_LENGTH.get() != self.address();
                Kind::Direct(found.call(req, content_length))
            }
            None => Kind::routed(&mut self.router.clone(), req),
        }
    }

    /// What identifies these routes in [`ENGINE_WRITES_LENGTH`].
    fn address(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }
}

thread_local! {
    /// The directly dispatched routes ([`Direct::address`]) whose responses leave
    /// `Content-Length` to hyper, while oxtor's engine makes a call of an application whose
    /// layers all ignore that header ([`EngineCall`]); 0 otherwise. A route called by anything
    /// else — also later, from a layer's future — inserts the header, as axum's routing does.
    static ENGINE_WRITES_LENGTH: Cell<usize> = const { Cell::new(0) };
}

/// [`ENGINE_WRITES_LENGTH`] set for the time of one call, and put back when the call returns or
/// unwinds.
struct EngineCall {
    before: usize,
}

impl EngineCall {
    #[inline]
    fn enter(direct: usize) -> Self {
        Self {
            before: ENGINE_WRITES_LENGTH.replace(direct),
        }
    }
}

impl Drop for EngineCall {
    #[inline]
    fn drop(&mut self) {
        ENGINE_WRITES_LENGTH.set(self.before);
    }
}

/// `axum::serve(listener, app_service)`: every connection is served by a clone.
impl<L: Listener> Service<IncomingStream<'_, L>> for AppService {
    type Response = Self;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _stream: IncomingStream<'_, L>) -> Self::Future {
        std::future::ready(Ok(self.clone()))
    }
}

/// A boxed call of one erased layer.
type BoxedCall = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// One layer's service behind an `Arc`: a call clones the service onto the stack (its inner
/// [`AppService`] is a reference count) and [calls it](call_layer); a connection of oxtor's
/// engine calls a clone of its own instead ([`ConnectionService`]).
trait Erased: Send + Sync {
    fn call_erased(&self, req: Request) -> BoxedCall;

    /// A clone of the service that one connection owns and calls.
    fn fork(&self) -> Box<dyn OwnedLayer>;
}

/// A clone of a layer's service owned by one connection (see [`ConnectionService`]).
trait OwnedLayer: Send {
    fn call_owned(&mut self, req: Request) -> BoxedCall;
}

impl<T> Erased for T
where
    T: Service<Request> + Clone + Send + Sync + 'static,
    T::Response: IntoResponse + 'static,
    T::Error: Into<Infallible> + 'static,
    T::Future: Send + 'static,
{
    fn call_erased(&self, req: Request) -> BoxedCall {
        call_layer(&mut self.clone(), req)
    }

    fn fork(&self) -> Box<dyn OwnedLayer> {
        Box::new(Owned {
            service: self.clone(),
            pristine: self.clone(),
        })
    }
}

/// A layer's service owned by one connection, and a clone that was never called, to take its
/// place if a call panics half-way through.
struct Owned<T> {
    service: T,
    pristine: T,
}

impl<T> OwnedLayer for Owned<T>
where
    T: Service<Request> + Clone + Send + Sync + 'static,
    T::Response: IntoResponse + 'static,
    T::Error: Into<Infallible> + 'static,
    T::Future: Send + 'static,
{
    /// A service whose `call` panics (before there is a future to poll) answers 500 as one
    /// whose future panics does (see [`server::call`](crate::server)), and a fresh clone takes
    /// the place of the one the panic left half-way through a call.
    fn call_owned(&mut self, req: Request) -> BoxedCall {
        match catch_unwind(AssertUnwindSafe(|| call_layer(&mut self.service, req))) {
            Ok(call) => call,
            Err(payload) => self.panicked(payload),
        }
    }
}

impl<T: Clone> Owned<T> {
    #[cold]
    #[inline(never)]
    fn panicked(&mut self, payload: Box<dyn std::any::Any + Send>) -> BoxedCall {
        let broken = std::mem::replace(&mut self.service, self.pristine.clone());
        // What a panic leaves behind is dropped; a panic while dropping it too.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(broken)));
        let res = crate::exception::panic_response(&*payload);
        Box::pin(std::future::ready(Ok(res)))
    }
}

/// Calls a layer's service: asks it once whether it is ready and, as nearly every layer is,
/// calls it at once: the box holds the service's own future and nothing else. A service that is
/// not ready yet goes into the box with the request (`tower::util::Oneshot`), which awaits its
/// readiness with the task's waker before calling it, and a fresh clone takes its place: what
/// its readiness check reserved or queued for (a concurrency limit's place in line, say) stays
/// with the call that waits for it, not with a service nobody polls.
fn call_layer<T>(service: &mut T, req: Request) -> BoxedCall
where
    T: Service<Request> + Clone + Send + Sync + 'static,
    T::Response: IntoResponse + 'static,
    T::Error: Into<Infallible> + 'static,
    T::Future: Send + 'static,
{
    // The first readiness check needs no waker: a service that is not ready is asked again by
    // `Oneshot`, with the task's waker, which it then registers.
    match service.poll_ready(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(())) => {
            // Allocated before the call: one move of the (large) future fewer.
            let call = Box::<LayerCall<T::Future>>::new_uninit();
            let call: Box<LayerCall<T::Future>> = Box::write(
                call,
                LayerCall {
                    future: service.call(req),
                },
            );
            Box::into_pin(call)
        }
        // (An error, which cannot happen, would be `Oneshot`'s output.)
        Poll::Ready(Err(_)) | Poll::Pending => {
            let fresh = service.clone();
            not_ready(std::mem::replace(service, fresh), req)
        }
    }
}

/// The application's service as one connection of oxtor's engine calls it: with app-wide
/// layers, a clone of the outermost layer's service that the connection owns, so that a call
/// neither clones nor drops it (a reference count up and down for each `Arc` it holds: the
/// layer's settings, the layers within) and a service that keeps state between `poll_ready`
/// and `call` keeps it per connection. Its calls come one at a time, from the connection's
/// task (HTTP/2 streams are called in turn too), as tower's `&mut self` asks.
pub(crate) struct ConnectionService {
    inner: ConnectionInner,
    /// The application's directly dispatched routes ([`Direct::address`]) if they leave
    /// `Content-Length` to hyper (no layer reads it), else 0.
    engine_length: usize,
}

enum ConnectionInner {
    /// No app-wide layer: the application's service, called through a shared reference.
    Shared(AppService),
    /// The outermost layer's service, this connection's clone.
    Owned(Box<dyn OwnedLayer>),
}

impl ConnectionService {
    /// The service one connection calls: `app` itself, or its own clone of `app`'s outermost
    /// layer.
    pub(crate) fn new(app: &AppService) -> Self {
        let inner = match &app.inner {
            Inner::Layered(service) => ConnectionInner::Owned(service.fork()),
            _ => ConnectionInner::Shared(app.clone()),
        };
        Self {
            inner,
            engine_length: app.engine_length,
        }
    }

    /// Runs one call.
    #[inline]
    pub(crate) fn call(&mut self, req: Request) -> AppFuture {
        let _call = EngineCall::enter(self.engine_length);
        match &mut self.inner {
            ConnectionInner::Shared(app) => app.call_ref(req),
            ConnectionInner::Owned(service) => AppFuture {
                kind: Kind::Layered(service.call_owned(req)),
            },
        }
    }
}

/// The call of a layer's service that was not ready: boxed with its request, to be called once
/// it is. Out of line (nearly every layer is always ready), so that the usual call's code stays
/// compact.
#[inline(never)]
fn not_ready<T>(service: T, req: Request) -> BoxedCall
where
    T: Service<Request> + Send + 'static,
    T::Response: IntoResponse + 'static,
    T::Error: Into<Infallible> + 'static,
    T::Future: Send + 'static,
{
    Box::pin(LayerCall {
        future: service.oneshot(req),
    })
}

pin_project! {
    /// One layer's call (its service's future, or a `Oneshot` awaiting its readiness), its
    /// response turned into a `Response`.
    struct LayerCall<F> {
        #[pin]
        future: F,
    }
}

impl<F, R, E> Future for LayerCall<F>
where
    F: Future<Output = Result<R, E>>,
    R: IntoResponse,
    E: Into<Infallible>,
{
    type Output = Result<Response, Infallible>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .future
            .poll(cx)
            .map(|res| res.map(IntoResponse::into_response).map_err(Into::into))
    }
}

/// The future of one call of an [`AppService`]: the router's future (boxed) or a directly
/// dispatched handler's without layers, the outermost layer's boxed future with. A few words,
/// whatever the call; `Unpin`, so a caller can move an unfinished call.
pub struct AppFuture {
    kind: Kind,
}

enum Kind {
    Router(Box<RouteFuture<Infallible>>),
    Direct(DirectFuture),
    Layered(BoxedCall),
}

impl Kind {
    /// The router's call of `req`, boxed: axum's future holds the request until its route is
    /// ready (320 bytes, ten times a directly dispatched handler's future). Boxed, it is written
    /// once; inline, every move of any call (into a layer's box, into hyper's slot for it)
    /// would copy 320 bytes, also for the directly dispatched routes (callgrind, showcase
    /// `/hello`: −312 instructions a call; `/user/42`, one allocation more: −135).
    #[inline]
    fn routed(router: &mut Router, req: Request) -> Self {
        // Allocated before the call: one move of the future fewer.
        let call = Box::<RouteFuture<Infallible>>::new_uninit();
        Self::Router(Box::write(call, router.call(req)))
    }
}

impl fmt::Debug for AppFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppFuture").finish_non_exhaustive()
    }
}

impl Future for AppFuture {
    type Output = Result<Response, Infallible>;

    /// Not inlined: with app-wide layers, two futures on the call's way poll an `AppFuture`
    /// (the engine's, around the outermost layer, and the innermost layer's, around the
    /// routes), and one copy of this code is half the instruction cache of two.
    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.kind {
            Kind::Router(fut) => Pin::new(&mut **fut).poll(cx),
            Kind::Direct(fut) => Pin::new(fut).poll(cx).map(Ok),
            Kind::Layered(fut) => fut.as_mut().poll(cx),
        }
    }
}
