//! Direct dispatch: the `#[route]` handlers on static paths called without going through axum's
//! routing, with the request exactly as axum's routing would hand it to them.
//!
//! axum's `Router` finds a route in a matchit tree, looks its endpoint and its path up in two
//! SipHash maps, clones the route's boxed service, and calls the handler through three service
//! levels and two boxed futures. For a route that `#[route]` made on a path without parameters,
//! nothing of that changes the call: the [`AppService`](crate::app::AppService) of an
//! application looks such a path up in a table of its own and calls the handler itself, after
//! giving the request what axum's routing gives it:
//! - `OriginalUri`, the request's URI;
//! - `MatchedPath`, the route's path template;
//! - axum's (empty) URL parameters, so that `Path` and `RawPathParams` answer as under axum.
//!
//! The last two are taken from a request that axum's own `Router` routed to the path once, when
//! the application was built, so they are axum's values, not copies of its types. A handler
//! without arguments cannot see the request, so its requests are given none of the three
//! ([`DirectHandler::without_arguments`]) unless a guard runs before it. The response gets the
//! `Content-Length` axum's routing gives a body of known size — except under oxtor's engine when
//! no app-wide layer reads that header
//! ([`AppService::layer_ignoring_content_length`](crate::app::AppService::layer_ignoring_content_length),
//! as oxtor's plugins are added): then hyper writes it on the wire from the body's size, and
//! the client sees the same response.
//!
//! A route inside guarding blocks (`authenticate(..) { .. }`, any
//! [`Routes::guard`](super::Routes::guard)) is called directly too, after its guards, outermost
//! block first, as under the router: a guard sees the request as the route would, answers in
//! its place, waits, or transforms the route's response ([`RouteGuard`]).
//!
//! Everything else goes through the router: another method on the path (axum answers 405 with
//! `Allow`), `HEAD` (axum answers it from the `GET` handler without the body), a path with
//! parameters or a wildcard, a route under a route layer (`layer(..) { .. }`,
//! [`Routes::map_router`](super::Routes::map_router)), a route written by hand that does not
//! return its handler from [`Route::direct_handler`](super::Route::direct_handler), and a
//! request that an enclosing axum `Router` already routed (it carries `OriginalUri`; axum would
//! join its matched path and parameters to the outer ones).
//! App-wide layers run before either, as always.
//!
//! # Example
//! A route written by hand takes part by returning its handler from
//! [`Route::direct_handler`](super::Route::direct_handler), as `#[route]` does:
//! ```
//! use axum::{extract::MatchedPath, routing::{get, MethodRouter}};
//! use http::Method;
//! use oxtor_runtime::{routing::{mount, DirectHandler, Route, Routes}, Application};
//! use tower::ServiceExt;
//!
//! async fn hello(path: MatchedPath) -> String { format!("Hello from {}", path.as_str()) }
//!
//! #[allow(non_camel_case_types)]
//! struct hello_route {}
//! impl Route<(), ()> for hello_route {
//!     const PATH: &'static str = "/hello";
//!     const METHODS: &'static [Method] = &[Method::GET];
//!     fn method_router(self) -> MethodRouter { get(hello) }
//!     fn direct_handler(&self) -> Option<DirectHandler<()>> {
//!         Some(DirectHandler::new(Self::METHODS, hello))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let mut app = Application::new(());
//! app.routing(mount(Routes::new(), hello_route {})).unwrap();
//! let req = http::Request::get("/hello").body(axum::body::Body::empty()).unwrap();
//! let res = app.into_service().oneshot(req).await.unwrap();
//! assert_eq!(res.headers()["content-length"], "17");
//! let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
//! assert_eq!(body, "Hello from /hello");
//! # }
//! ```
use std::{
    any::Any,
    cell::RefCell,
    collections::HashMap,
    convert::Infallible,
    fmt,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll, Waker},
};

use axum::{
    body::{Body, HttpBody},
    extract::{MatchedPath, OriginalUri, Request},
    handler::Handler,
    response::Response,
    Router,
};
use http::{header::CONTENT_LENGTH, HeaderValue, Method};
use tower_service::Service;

use super::guard::{self, AfterRoute, Decision, RouteGuard, RouteGuards};

/// The future of a handler called directly: axum's handlers already box theirs.
type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// A handler with its state, erased.
type Call = Arc<dyn Fn(Request) -> HandlerFuture + Send + Sync>;

/// A route's handler as [direct dispatch](self) calls it: the handler and the methods it serves
/// there. What [`Route::direct_handler`](super::Route::direct_handler) returns.
pub struct DirectHandler<S> {
    methods: &'static [Method],
    /// Whether the handler can see the request (it has arguments).
    reads_request: bool,
    with_state: Box<dyn FnOnce(S) -> Call + Send>,
}

impl<S> fmt::Debug for DirectHandler<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectHandler")
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> DirectHandler<S> {
    /// `handler`, serving `methods` (the route's [`METHODS`](super::Route::METHODS)) on its
    /// route's path. `HEAD` and `CONNECT` among them are left to axum's routing.
    pub fn new<H, T>(methods: &'static [Method], handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        Self::erase(methods, true, handler)
    }

    /// `handler` as [`new`](Self::new) makes it, for a handler without arguments (`async fn()
    /// -> impl IntoResponse`). Such a handler cannot see the request, so the request is not
    /// given what axum's routing would add to it (`#[route]` uses this for handlers without
    /// arguments).
    pub fn without_arguments<H>(methods: &'static [Method], handler: H) -> Self
    where
        H: Handler<((),), S>,
    {
        Self::erase(methods, false, handler)
    }

    fn erase<H, T>(methods: &'static [Method], reads_request: bool, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        Self {
            methods,
            reads_request,
            with_state: Box::new(move |state: S| -> Call {
                Arc::new(move |req| boxed(handler.clone().call(req, state.clone())))
            }),
        }
    }
}

/// Whether a handler serving `methods` is called directly for `method`.
fn serves(methods: &[Method], method: &Method) -> bool {
    *method != Method::HEAD && *method != Method::CONNECT && methods.contains(method)
}

/// `future` as a [`HandlerFuture`], without a second box when it is one already (as the
/// futures of axum's function handlers are).
fn boxed<F: Future<Output = Response> + Send + 'static>(future: F) -> HandlerFuture {
    let mut slot = Some(future);
    if let Some(already) = (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<HandlerFuture>>()
        .and_then(Option::take)
    {
        return already;
    }
    // `slot` still holds the future: only a successful downcast takes it.
    slot.map_or_else(
        || -> HandlerFuture { Box::pin(std::future::pending()) },
        |future| Box::pin(future),
    )
}

/// A [`DirectHandler`] on its full path (with the prefixes of the `route(..)` blocks around it),
/// with the guards of the blocks around it.
pub(crate) struct DirectRoute<S> {
    pub(crate) path: String,
    pub(crate) handler: DirectHandler<S>,
    /// The [`RouteGuard`]s run before the handler, outermost block first.
    pub(crate) guards: Vec<Arc<dyn RouteGuard>>,
}

impl<S> DirectRoute<S> {
    /// `handler` at `path`, with no guard yet.
    pub(crate) fn new(path: &str, handler: DirectHandler<S>) -> Self {
        Self {
            path: path.to_owned(),
            handler,
            guards: Vec::new(),
        }
    }

    /// The route under `prefix`, as `Router::nest` places it.
    pub(crate) fn nested(self, prefix: &str) -> Self {
        Self {
            path: super::table::nested_path(prefix, &self.path),
            ..self
        }
    }

    /// The route with `guard` run before its other guards (those of the blocks inside the one
    /// `guard` comes from).
    pub(crate) fn guard(&mut self, guard: &Arc<dyn RouteGuard>) {
        self.guards.insert(0, guard.clone());
    }

    /// Whether `path` has no parameter and no wildcard (matchit's `{..}`; `{{`/`}}` escapes
    /// are left to the router too).
    pub(crate) fn is_static(path: &str) -> bool {
        !path.contains(['{', '}'])
    }
}

/// One path of the table: what axum's routing adds to a request for it, and its handlers.
struct Entry {
    /// The `MatchedPath` axum's routing set.
    matched: MatchedPath,
    /// The rest it added (its URL parameters), `None` if nothing; inserted as a clone.
    rest: Option<http::Extensions>,
    handlers: Vec<Direct>,
}

/// One handler of an [`Entry`], with its state.
struct Direct {
    methods: &'static [Method],
    reads_request: bool,
    /// The guards of the blocks around the route, run before `call`.
    guards: Option<RouteGuards>,
    call: Call,
}

/// The application's directly dispatched routes, with its state. Built once, shared by every
/// clone of the [`AppService`](crate::app::AppService).
pub(crate) struct DirectRoutes {
    /// Each path's entry. Static paths only, so a path is found as axum's matcher finds a
    /// static route, by its exact bytes: one hash and one comparison (matchit's walk of its
    /// tree wrote its parameter slots on every call). The keys are the application's own; a
    /// request's path only looks one up.
    paths: HashMap<Box<str>, usize, foldhash::fast::RandomState>,
    /// The lengths of the paths, one bit each ([`length_bit`]): a request whose path has none
    /// of them (a path with a parameter, often) goes to the router without hashing its path.
    lengths: u64,
    entries: Vec<Entry>,
}

/// A path length's bit in [`DirectRoutes::lengths`] (63 and longer share the last one).
fn length_bit(path: &str) -> u64 {
    1 << path.len().min(63)
}

impl fmt::Debug for DirectRoutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectRoutes")
            .field("paths", &self.entries.len())
            .finish()
    }
}

impl DirectRoutes {
    /// The table of `routes` with `state`; `None` when none of them can be dispatched directly.
    pub(crate) fn build<S: Clone + Send + Sync + 'static>(
        routes: Vec<DirectRoute<S>>,
        state: &S,
    ) -> Option<Self> {
        let mut table = Self {
            paths: HashMap::default(),
            lengths: 0,
            entries: Vec::new(),
        };
        for DirectRoute {
            path,
            handler,
            guards,
        } in routes
        {
            if !DirectRoute::<S>::is_static(&path) {
                continue;
            }
            let index = match table.paths.get(path.as_str()) {
                Some(&index) => index,
                None => {
                    let Some((matched, rest)) = routed_by_axum(&path) else {
                        continue;
                    };
                    let index = table.entries.len();
                    table.lengths |= length_bit(&path);
                    table.paths.insert(path.into_boxed_str(), index);
                    table.entries.push(Entry {
                        matched,
                        rest,
                        handlers: Vec::new(),
                    });
                    index
                }
            };
            let guards = (!guards.is_empty()).then(|| RouteGuards::new(guards));
            let direct = Direct {
                methods: handler.methods,
                // A guard sees the request as the route would under axum's routing.
                reads_request: handler.reads_request || guards.is_some(),
                guards,
                call: (handler.with_state)(state.clone()),
            };
            table.entries[index].handlers.push(direct);
        }
        (!table.entries.is_empty()).then_some(table)
    }

    /// The handler of `req`'s path and method, if it is called directly (`None`: the router
    /// routes `req`). Looks at the request without taking it.
    #[inline]
    pub(crate) fn find(&self, req: &Request) -> Option<Found<'_>> {
        let path = req.uri().path();
        if self.lengths & length_bit(path) == 0 {
            return None;
        }
        let entry = self.entries.get(*self.paths.get(path)?)?;
        let direct = entry
            .handlers
            .iter()
            .find(|direct| serves(direct.methods, req.method()))?;
        // A request an enclosing axum router routed already: axum joins its matched path and
        // parameters to the outer ones.
        if direct.reads_request && req.extensions().get::<OriginalUri>().is_some() {
            return None;
        }
        Some(Found { entry, direct })
    }
}

/// A handler [`DirectRoutes::find`] found for a request.
pub(crate) struct Found<'a> {
    entry: &'a Entry,
    direct: &'a Direct,
}

impl Found<'_> {
    /// Calls the handler with `req`, given what axum's routing would give it; its response gets
    /// `Content-Length` if `content_length`.
    #[inline]
    pub(crate) fn call(self, mut req: Request, content_length: bool) -> DirectFuture {
        if self.direct.reads_request {
            let uri = req.uri().clone();
            let extensions = req.extensions_mut();
            extensions.insert(self.entry.matched.clone());
            if let Some(rest) = &self.entry.rest {
                extensions.extend(rest.clone());
            }
            extensions.insert(OriginalUri(uri));
        }
        let mut future = match &self.direct.guards {
            None => DirectFuture::new((self.direct.call)(req), None),
            Some(guards) => guarded(guards, &self.direct.call, req),
        };
        future.content_length = content_length;
        future
    }
}

/// `call` after `guards`, as a guarded `#[route]` handler runs under axum's routing
/// ([`RouteGuards::handler`]): the route's own future when every guard lets it run at once (what
/// they apply to its response with it), the guard's answer when one answers.
#[inline(never)]
fn guarded(guards: &RouteGuards, call: &Call, req: Request) -> DirectFuture {
    match guards.check(req) {
        Ok(Decision::Route(req, after)) => DirectFuture::new(call(req), after),
        Ok(Decision::Answer(response)) => {
            DirectFuture::new(Box::pin(std::future::ready(response)), None)
        }
        Err(waiting) => {
            let call = call.clone();
            DirectFuture::new(
                Box::pin(guard::then_route(waiting, move |req| call(req))),
                None,
            )
        }
    }
}

/// What axum's `Router` adds to a request it routes to `path`: the `MatchedPath`, and the rest
/// (`OriginalUri` aside). Asked of axum once: a router with one route at `path`, called with a
/// request for it.
fn routed_by_axum(path: &str) -> Option<(MatchedPath, Option<http::Extensions>)> {
    // (axum refuses a path without a leading `/`; the application's router has that path.)
    if !path.starts_with('/') {
        return None;
    }
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let probe = tower::service_fn(move |req: Request| {
        *record.lock().unwrap_or_else(PoisonError::into_inner) = Some(req.extensions().clone());
        std::future::ready(Ok::<_, Infallible>(Response::new(Body::empty())))
    });
    let mut router = Router::new().route_service(path, probe);
    let req = Request::get(path).body(Body::empty()).ok()?;
    let mut call = router.call(req);
    // The probe answers at once; its future is ready at the first poll.
    if Pin::new(&mut call)
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_pending()
    {
        return None;
    }
    let mut routed = seen.lock().unwrap_or_else(PoisonError::into_inner).take()?;
    let matched = routed.remove::<MatchedPath>()?;
    routed.remove::<OriginalUri>();
    Some((matched, (!routed.is_empty()).then_some(routed)))
}

/// A directly called handler's future; the response gets what its guards apply to it, then the
/// `Content-Length` axum's routing sets for a body of known size, unless oxtor's engine leaves
/// it to hyper (see [`AppService::layer_ignoring_content_length`]).
///
/// [`AppService::layer_ignoring_content_length`]: crate::app::AppService::layer_ignoring_content_length
pub(crate) struct DirectFuture {
    future: HandlerFuture,
    after: Option<AfterRoute>,
    /// Whether the response gets `Content-Length` here.
    content_length: bool,
}

impl DirectFuture {
    fn new(future: HandlerFuture, after: Option<AfterRoute>) -> Self {
        Self {
            future,
            after,
            content_length: true,
        }
    }
}

impl Future for DirectFuture {
    type Output = Response;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let mut res = std::task::ready!(self.future.as_mut().poll(cx));
        if let Some(after) = self.after.take() {
            res = after(res);
        }
        if self.content_length && !res.headers().contains_key(CONTENT_LENGTH) {
            if let Some(value) = res.body().size_hint().exact().and_then(content_length) {
                crate::headers::insert_header(res.headers_mut(), CONTENT_LENGTH, value);
            }
        }
        Poll::Ready(res)
    }
}

/// The `Content-Length` value of a body of `size` bytes. The last one made on this thread is
/// kept and cloned (a reference count) while the lengths repeat, as a route's often do, so that
/// a response does not allocate one; a new length costs one allocation, as in axum.
fn content_length(size: u64) -> Option<HeaderValue> {
    thread_local! {
        static LAST: RefCell<(u64, HeaderValue)> =
            const { RefCell::new((0, HeaderValue::from_static("0"))) };
    }
    let make = |size: u64| HeaderValue::from_str(itoa::Buffer::new().format(size)).ok();
    LAST.try_with(|last| {
        let mut last = last.try_borrow_mut().ok()?;
        if last.0 != size {
            *last = (size, make(size)?);
        }
        Some(last.1.clone())
    })
    .ok()
    .flatten()
    .or_else(|| make(size))
}

#[cfg(test)]
mod tests;
