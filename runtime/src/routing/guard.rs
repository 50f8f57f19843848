//! Route guards: checks a block runs before each of its routes, in the route's own call.
//!
//! A [`RouteGuard`] looks at the request and lets the route run ([`Guarded::Pass`]), answers
//! in its place ([`Guarded::Respond`]), or has to wait ([`Guarded::Wait`]). A block puts its
//! guard on its routes with [`Routes::guard`](super::Routes::guard): a route mounted in the
//! block (`routing! { block { route } }`) gets it inside its handler ([`RouteGuards::handler`],
//! one future with the handler's, no extra service level); routes added otherwise (nested
//! groups, plain axum routers) get it as a tower layer ([`GuardLayer`], axum's
//! `route_layer`). A `#[route]` on a static path, mounted here or in a nested group, also gets
//! it before its direct call, when the application calls it without axum's routing
//! ([`direct`](super::direct)). The `authenticate(..)` block is one.
//!
//! # Example
//! A guard refusing calls without an `X-Tenant` header, on one route:
//! ```
//! use axum::{extract::Request, http::StatusCode, response::IntoResponse};
//! use oxtor_runtime::routing::{mount, Guarded, Route, RouteGuard, Routes};
//! use axum::routing::{get, MethodRouter};
//! use std::sync::Arc;
//!
//! struct Tenant;
//! impl RouteGuard for Tenant {
//!     fn check(&self, request: Request) -> Guarded {
//!         match request.headers().contains_key("x-tenant") {
//!             true => Guarded::pass(request),
//!             false => Guarded::Respond(StatusCode::FORBIDDEN.into_response()),
//!         }
//!     }
//! }
//!
//! async fn books() -> &'static str { "[]" }
//! #[allow(non_camel_case_types)]
//! struct books_route {}
//! impl<S: Clone + Send + Sync + 'static> Route<S, ()> for books_route {
//!     const PATH: &'static str = "/books";
//!     const METHODS: &'static [http::Method] = &[http::Method::GET];
//!     fn method_router(self) -> MethodRouter<S> { get(books) }
//! }
//!
//! let routes: Routes = mount(Routes::new(), books_route {}).guard(Arc::new(Tenant));
//! # let _ = routes;
//! ```
use std::{
    convert::Infallible,
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use axum::{extract::Request, handler::Handler, response::Response};
use futures_util::future::BoxFuture;
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

/// A check run before a route: see the [module docs](self).
pub trait RouteGuard: Send + Sync + 'static {
    /// Checks `request`: pass it on to the route, answer in its place, or wait.
    fn check(&self, request: Request) -> Guarded;
}

/// What transforms the route's response after a guard let it run (e.g. headers a guard added
/// to the call).
pub type AfterRoute = Box<dyn FnOnce(Response) -> Response + Send>;

/// What a [`RouteGuard`] decided.
pub enum Guarded {
    /// The route runs with `request`; `after`, if any, transforms its response.
    Pass {
        /// The request, as the guard leaves it (e.g. with a principal in its extensions).
        request: Request,
        /// Applied to whatever answers the call from here on.
        after: Option<AfterRoute>,
    },
    /// The call is answered with this response; the route does not run.
    Respond(Response),
    /// The guard has to wait; the future decides.
    Wait(BoxFuture<'static, Guarded>),
}

impl Guarded {
    /// [`Pass`](Self::Pass) with nothing to apply to the response.
    pub fn pass(request: Request) -> Self {
        Self::Pass {
            request,
            after: None,
        }
    }
}

impl fmt::Debug for Guarded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pass { request, after } => f
                .debug_struct("Pass")
                .field("request", request)
                .field("after", &after.is_some())
                .finish(),
            Self::Respond(response) => f.debug_tuple("Respond").field(response).finish(),
            Self::Wait(_) => f.write_str("Wait"),
        }
    }
}

/// The guards of a route, outermost block first. Cheap to clone.
#[derive(Clone)]
pub struct RouteGuards(Arc<[Arc<dyn RouteGuard>]>);

impl fmt::Debug for RouteGuards {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteGuards")
            .field("len", &self.0.len())
            .finish()
    }
}

/// The guards' verdict once every one decided.
pub(super) enum Decision {
    Route(Request, Option<AfterRoute>),
    Answer(Response),
}

/// `after` applied to `response`.
#[inline]
pub(super) fn apply(after: Option<AfterRoute>, response: Response) -> Response {
    match after {
        Some(after) => after(response),
        None => response,
    }
}

/// `first`, then `then`.
#[inline]
fn chain(first: Option<AfterRoute>, then: Option<AfterRoute>) -> Option<AfterRoute> {
    match (first, then) {
        (None, then) => then,
        (first, None) => first,
        // The inner guard's transformation first, then the outer one's (as nested layers).
        (Some(outer), Some(inner)) => Some(Box::new(move |response| outer(inner(response)))),
    }
}

impl RouteGuards {
    /// The guards `guards`, run in this order.
    pub fn new(guards: impl IntoIterator<Item = Arc<dyn RouteGuard>>) -> Self {
        Self(guards.into_iter().collect())
    }

    /// `handler` run after these guards, in one future: what `#[route]` makes of a route's
    /// handler inside a guarding block (see [`Route::guarded_method_router`](super::Route)).
    pub fn handler<H>(self, handler: H) -> GuardedHandler<H> {
        GuardedHandler {
            handler,
            guards: self,
        }
    }

    /// Runs every guard on `request` without waiting; a guard that waits makes the rest a
    /// future.
    pub(super) fn check(&self, request: Request) -> Result<Decision, Waiting> {
        let Some(first) = self.0.first() else {
            return Ok(Decision::Route(request, None));
        };
        let mut outcome = first.check(request);
        let mut next = 1;
        let mut after = None;
        loop {
            match outcome {
                Guarded::Pass { request, after: a } => {
                    after = chain(after, a);
                    match self.0.get(next) {
                        None => return Ok(Decision::Route(request, after)),
                        Some(guard) => outcome = guard.check(request),
                    }
                    next += 1;
                }
                Guarded::Respond(response) => return Ok(Decision::Answer(apply(after, response))),
                Guarded::Wait(wait) => {
                    let guards = self.clone();
                    return Err(Box::pin(async move {
                        let mut outcome = wait.await;
                        let mut after = after;
                        loop {
                            match outcome {
                                Guarded::Pass { request, after: a } => {
                                    after = chain(after, a);
                                    match guards.0.get(next) {
                                        None => return Decision::Route(request, after),
                                        Some(guard) => outcome = guard.check(request),
                                    }
                                    next += 1;
                                }
                                Guarded::Respond(response) => {
                                    return Decision::Answer(apply(after, response))
                                }
                                Guarded::Wait(wait) => outcome = wait.await,
                            }
                        }
                    }));
                }
            }
        }
    }
}

/// The guards still deciding.
pub(super) type Waiting = BoxFuture<'static, Decision>;

/// The call once the guards still deciding have decided: `route` called with the request they
/// let through (their transformation applied to its response), or their answer.
pub(super) async fn then_route<F>(waiting: Waiting, route: impl FnOnce(Request) -> F) -> Response
where
    F: Future<Output = Response>,
{
    match waiting.await {
        Decision::Route(request, after) => apply(after, route(request).await),
        Decision::Answer(response) => response,
    }
}

/// A handler run after its route's guards (made by [`RouteGuards::handler`]): an axum
/// [`Handler`] whose future is the guards' and the handler's in one.
#[derive(Clone)]
pub struct GuardedHandler<H> {
    handler: H,
    guards: RouteGuards,
}

impl<H> fmt::Debug for GuardedHandler<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedHandler")
            .field("guards", &self.guards)
            .finish_non_exhaustive()
    }
}

impl<H, T, S> Handler<T, S> for GuardedHandler<H>
where
    H: Handler<T, S>,
    S: Send + 'static,
{
    type Future = GuardedFuture<H::Future>;

    fn call(self, request: Request, state: S) -> Self::Future {
        match self.guards.check(request) {
            Ok(Decision::Route(request, after)) => {
                GuardedFuture::route(self.handler.call(request, state), after)
            }
            Ok(Decision::Answer(response)) => GuardedFuture::answered(response),
            Err(waiting) => GuardedFuture::waiting(Box::pin(then_route(waiting, move |request| {
                self.handler.call(request, state)
            }))),
        }
    }
}

pin_project! {
    /// The future of a guarded route: the route's own when the guards decided at once, the
    /// answer of a guard, or guards and route in one boxed future when a guard had to wait.
    pub struct GuardedFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Route { #[pin] route: F, after: Option<AfterRoute> },
        Answered { response: Option<Response> },
        Waiting { future: BoxFuture<'static, Response> },
    }
}

impl<F> GuardedFuture<F> {
    fn route(route: F, after: Option<AfterRoute>) -> Self {
        Self {
            state: State::Route { route, after },
        }
    }

    fn answered(response: Response) -> Self {
        Self {
            state: State::Answered {
                response: Some(response),
            },
        }
    }

    fn waiting(future: BoxFuture<'static, Response>) -> Self {
        Self {
            state: State::Waiting { future },
        }
    }
}

impl<F> fmt::Debug for GuardedFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Route { .. } => "route",
            State::Answered { .. } => "answered",
            State::Waiting { .. } => "waiting",
        };
        f.debug_struct("GuardedFuture")
            .field("state", &state)
            .finish()
    }
}

impl<F: Future<Output = Response>> Future for GuardedFuture<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.project().state.project() {
            StateProj::Route { route, after } => route.poll(cx).map(|r| apply(after.take(), r)),
            StateProj::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(response),
                None => panic!("GuardedFuture polled after completion"),
            },
            StateProj::Waiting { future } => future.as_mut().poll(cx),
        }
    }
}

/// [`RouteGuards`] as a tower layer, for routes that are already services (axum's
/// `route_layer`).
#[derive(Clone, Debug)]
pub struct GuardLayer {
    guards: RouteGuards,
}

impl GuardLayer {
    /// A layer running `guards` before the service it wraps.
    pub fn new(guards: RouteGuards) -> Self {
        Self { guards }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> GuardService<S> {
        GuardService {
            inner,
            guards: self.guards.clone(),
        }
    }
}

/// The service [`GuardLayer`] builds.
#[derive(Clone)]
pub struct GuardService<S> {
    inner: S,
    guards: RouteGuards,
}

impl<S> fmt::Debug for GuardService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardService")
            .field("guards", &self.guards)
            .finish_non_exhaustive()
    }
}

/// The inner service's future with its (infallible) result unwrapped.
type Unwrapped<F> = futures_util::future::Map<F, fn(Result<Response, Infallible>) -> Response>;

fn unwrap(result: Result<Response, Infallible>) -> Response {
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

impl<S> Service<Request> for GuardService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = futures_util::future::Map<
        GuardedFuture<Unwrapped<S::Future>>,
        fn(Response) -> Result<Response, Infallible>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        use futures_util::FutureExt;
        let unwrap: fn(_) -> _ = unwrap;
        let future = match self.guards.check(request) {
            Ok(Decision::Route(request, after)) => {
                GuardedFuture::route(self.inner.call(request).map(unwrap), after)
            }
            Ok(Decision::Answer(response)) => GuardedFuture::answered(response),
            Err(waiting) => {
                // The ready service goes with this call; the clone waits for the next
                // `poll_ready`.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                GuardedFuture::waiting(Box::pin(then_route(waiting, move |request| {
                    inner.call(request).map(unwrap)
                })))
            }
        };
        future.map(Ok)
    }
}
