//! The `StatusPages` plugin: Ktor's `StatusPages` on tower. It maps the errors handlers return
//! ([`CallError`]) to responses by their type, replaces responses by their status, and turns a
//! handler panic into a 500 (tower-http's `catch-panic`) that fails that one call only: the
//! connection and every other call on it carry on.
//!
//! ```text
//! install!(StatusPages {
//!     exception(|call, e: &AuthorizationException| StatusCode::FORBIDDEN)
//!     exception(|call, cause: &CallError| (StatusCode::INTERNAL_SERVER_ERROR, format!("500: {cause}")))
//!     status(404, |call, status| (status, "Page not found"))
//! })
//! ```
//! desugars to [`StatusPages::configure`] with one [`StatusPagesConfig`] call per line. Ktor's
//! `exception<T> { call, cause -> }` becomes `exception(|call, cause: &T| ..)`: the type of the
//! closure's second parameter selects the errors it handles (`cfg.exception::<T, _, _>(..)`
//! when written by hand). A handler returns anything that is `IntoResponse`, and sees the
//! request as a [`StatusCall`].
//!
//! # Behaviour
//! - **Exceptions**: a response made from a [`CallError`] (a handler's `Err`, a panic) goes to
//!   the first handler registered for the error's type; `exception(|call, e: &CallError| ..)`
//!   catches every error (Ktor's `exception<Throwable>`) and is tried after the typed handlers,
//!   as Ktor prefers the nearest class. With no handler the error keeps Ktor 3.4's default: its
//!   status with its message as a `text/plain` body ([`crate::exception`]).
//! - **Statuses**: a response whose status has a handler is replaced by the handler's response;
//!   the original's headers the new one does not set (other than `Content-*`) are kept.
//!   A response from an exception handler is not replaced again, and a status handler that
//!   returns an error goes to the exception handlers once (Ktor's `testErrorDuringStatus`),
//!   never in a loop.
//! - **Panics**: a panic in a handler or an inner layer answers 500 with an empty body through
//!   the exception handlers (as [`HandlerPanicked`]); the panic is logged at `error`. A handler
//!   of the plugin's own that panics answers a plain 500.
//! - **Order**: plugins installed first wrap the ones installed later. Install `StatusPages`
//!   early to see every error; `CallLogging` and `DefaultHeaders` installed before it log and
//!   decorate its answers too.
//!
//! # Where oxtor differs from Ktor 3.4.0
//! Handlers are plain closures, not `suspend` functions; a type matches exactly (Rust has no
//! subclasses), so the catch-all is `&CallError`; a panic's message is not sent to the client.
//! Ktor's `unhandled { }` and `statusFile(..)` are not provided.
//!
//! # Example
//! ```
//! use oxtor_runtime::{exception::{CallError, CallResult, NotFoundException},
//!     plugins::status_pages::StatusPages, testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//! use http::StatusCode;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(StatusPages::configure(|cfg| {
//!     cfg.exception(|_call, e: &NotFoundException| (StatusCode::NOT_FOUND, format!("missing: {e}")));
//!     cfg.status(405, |_call, status| (status, "no such method"));
//! }))?;
//! app.routing(Router::new()
//!     .route("/book", get(|| async { CallResult::<String>::Err(NotFoundException::default().into()) }))
//!     .route("/panic", get(|| async { if true { panic!("bug") } "unreachable" })))?;
//! let server = TestApplication::start(app).await?;
//!
//! let res = server.get("/book").await?;
//! assert_eq!((res.status().as_u16(), res.text()?.as_str()), (404, "missing: Resource not found"));
//! assert_eq!(server.get("/panic").await?.status(), 500);
//! let post = http::Request::post("/book").body(axum::body::Body::empty()).unwrap();
//! assert_eq!(server.send(post).await?.text()?, "no such method");
//! # Ok(()) }
//! ```
use std::{collections::HashMap, fmt, sync::Arc};

use axum::response::{IntoResponse, Response};
use http::{Extensions, HeaderMap, Method, StatusCode, Uri, Version};

use crate::{
    app::Application,
    exception::{panic_message, CallError, HandlerPanicked},
    ConfigError, Plugin,
};

mod service;

#[doc(inline)]
pub use self::service::{PanicToError, ResponseFuture, StatusPagesLayer, StatusPagesService};

type ExceptionFn = Arc<dyn Fn(&StatusCall, &CallError) -> Option<Response> + Send + Sync>;
type StatusFn = Arc<dyn Fn(&StatusCall, StatusCode) -> Response + Send + Sync>;

/// The request a [`StatusPages`] handler answers: Ktor's `call` (method, URI, headers and the
/// extensions other layers put on the request, such as the call id).
#[derive(Debug, Clone)]
pub struct StatusCall {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    extensions: Extensions,
}

impl StatusCall {
    pub(crate) fn from_parts(req: &http::request::Parts) -> Self {
        Self {
            method: req.method.clone(),
            uri: req.uri.clone(),
            version: req.version,
            headers: req.headers.clone(),
            extensions: req.extensions.clone(),
        }
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request URI as received.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request path.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The call id, when `CallId` (or tower-http's `SetRequestId`) ran before `StatusPages`.
    pub fn call_id(&self) -> Option<&str> {
        let id = self.extensions.get::<tower_http::request_id::RequestId>()?;
        id.header_value().to_str().ok()
    }

    /// The request extensions, as they were when the request reached `StatusPages`.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}

/// The errors an `exception(..)` handler can be registered for: every `std::error::Error`
/// type, and [`CallError`] itself for all of them (Ktor's `exception<Throwable>`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an error type `StatusPages` can match",
    note = "register a handler for a `std::error::Error` type, or `&CallError` for every error"
)]
pub trait Exception: Send + Sync + 'static {
    /// `error` as `Self`, when it is one.
    fn matches(error: &CallError) -> Option<&Self>;
    /// Whether `Self` matches every error (tried after the typed handlers).
    const CATCH_ALL: bool = false;
}

impl<E: std::error::Error + Send + Sync + 'static> Exception for E {
    fn matches(error: &CallError) -> Option<&Self> {
        error.downcast_ref::<E>()
    }
}

impl Exception for CallError {
    fn matches(error: &CallError) -> Option<&Self> {
        Some(error)
    }
    const CATCH_ALL: bool = true;
}

/// Status codes a `status(..)` handler is registered for: a `u16`, a `StatusCode`, or an array
/// or `Vec` of either (Ktor's `status(vararg codes)`).
pub trait StatusCodes {
    /// The codes, or the first that is not a valid status.
    fn codes(self) -> Result<Vec<StatusCode>, u16>;
}

impl StatusCodes for u16 {
    fn codes(self) -> Result<Vec<StatusCode>, u16> {
        StatusCode::from_u16(self)
            .map(|s| vec![s])
            .map_err(|_| self)
    }
}

impl StatusCodes for StatusCode {
    fn codes(self) -> Result<Vec<StatusCode>, u16> {
        Ok(vec![self])
    }
}

impl<T: StatusCodes, const N: usize> StatusCodes for [T; N] {
    fn codes(self) -> Result<Vec<StatusCode>, u16> {
        Vec::from(self).codes()
    }
}

impl<T: StatusCodes> StatusCodes for Vec<T> {
    fn codes(self) -> Result<Vec<StatusCode>, u16> {
        let mut out = Vec::new();
        for c in self {
            out.extend(c.codes()?);
        }
        Ok(out)
    }
}

/// The configuration of [`StatusPages`]: exception and status handlers. Built by
/// `install!(StatusPages { .. })` or [`StatusPages::configure`].
#[derive(Default)]
pub struct StatusPagesConfig {
    typed: Vec<ExceptionFn>,
    catch_all: Option<ExceptionFn>,
    statuses: HashMap<StatusCode, StatusFn>,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for StatusPagesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusPagesConfig")
            .field(
                "exceptions",
                &(self.typed.len() + self.catch_all.iter().len()),
            )
            .field("statuses", &self.statuses.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl StatusPagesConfig {
    /// Answers errors of type `E` with `handler` (Ktor's `exception<E> { call, cause -> }`). The
    /// closure's second parameter names the type: `|call, e: &MyError| ..`; `&CallError` catches
    /// every error. Registering a type again replaces nothing: the first handler wins.
    pub fn exception<E, F, R>(&mut self, handler: F) -> &mut Self
    where
        E: Exception,
        F: Fn(&StatusCall, &E) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        let f: ExceptionFn =
            Arc::new(move |call, err| E::matches(err).map(|e| handler(call, e).into_response()));
        if E::CATCH_ALL {
            if self.catch_all.is_none() {
                self.catch_all = Some(f);
            }
        } else {
            self.typed.push(f);
        }
        self
    }

    /// Replaces responses with one of these statuses by `handler`'s (Ktor's
    /// `status(vararg codes) { call, status -> }`): `status(404, ..)`, `status([401, 403], ..)`.
    pub fn status<C, F, R>(&mut self, codes: C, handler: F) -> &mut Self
    where
        C: StatusCodes,
        F: Fn(&StatusCall, StatusCode) -> R + Send + Sync + 'static,
        R: IntoResponse,
    {
        match codes.codes() {
            Ok(codes) => {
                let f: StatusFn =
                    Arc::new(move |call, status| handler(call, status).into_response());
                for code in codes {
                    self.statuses.insert(code, f.clone());
                }
            }
            Err(code) => self.errors.push(ConfigError::new(
                "StatusPages.status",
                format!("{code} is not a valid status code"),
            )),
        }
        self
    }
}

pub(crate) struct Handlers {
    typed: Vec<ExceptionFn>,
    catch_all: Option<ExceptionFn>,
    statuses: HashMap<StatusCode, StatusFn>,
}

impl Handlers {
    pub(crate) fn is_empty(&self) -> bool {
        self.typed.is_empty() && self.catch_all.is_none() && self.statuses.is_empty()
    }

    pub(crate) fn exception(&self, call: &StatusCall, err: &CallError) -> Option<Response> {
        self.typed
            .iter()
            .chain(&self.catch_all)
            .find_map(|h| guarded(|| h(call, err)).unwrap_or_else(|| Some(plain_500())))
    }

    pub(crate) fn status(&self, status: StatusCode) -> Option<&StatusFn> {
        self.statuses.get(&status)
    }
}

/// Runs a handler of the user's; a panic in it is `None` (logged).
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(payload) => {
            tracing::error!(
                panic = panic_message(&*payload).unwrap_or_default(),
                "StatusPages handler panicked"
            );
            None
        }
    }
}

pub(crate) fn plain_500() -> Response {
    let mut res = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    res.extensions_mut().insert(Handled);
    res
}

pub(crate) fn panicked(payload: &(dyn std::any::Any + Send)) -> CallError {
    let message = panic_message(payload).map(str::to_owned);
    tracing::error!(
        panic = message.as_deref().unwrap_or_default(),
        "handler panicked"
    );
    CallError::new(HandlerPanicked { message })
}

/// Marks a response a `StatusPages` handler produced, so no `StatusPages` replaces it again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handled;

/// The status-pages plugin: install it on an [`Application`] (`app.install(install!(StatusPages
/// { .. }))`) or turn it into a [`StatusPagesLayer`] for one route group.
///
/// See the [module docs](crate::plugins::status_pages).
#[derive(Clone)]
pub struct StatusPages {
    handlers: Arc<Handlers>,
}

impl fmt::Debug for StatusPages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusPages").finish_non_exhaustive()
    }
}

impl StatusPages {
    /// Configures the plugin; what `install!(StatusPages { .. })` desugars to. Fails with the
    /// first rejected value (`StatusPages.status: 1000 is not a valid status code`).
    pub fn configure(f: impl FnOnce(&mut StatusPagesConfig)) -> Result<Self, ConfigError> {
        let mut cfg = StatusPagesConfig::default();
        f(&mut cfg);
        if let Some(e) = cfg.errors.into_iter().next() {
            return Err(e);
        }
        Ok(Self {
            handlers: Arc::new(Handlers {
                typed: cfg.typed,
                catch_all: cfg.catch_all,
                statuses: cfg.statuses,
            }),
        })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> StatusPagesLayer {
        StatusPagesLayer::new(self.handlers)
    }
}

impl Default for StatusPages {
    /// No handlers: Ktor's default responses, and panics answer 500.
    fn default() -> Self {
        Self::configure(|_| {}).unwrap_or_else(|_| unreachable!("the empty configuration is valid"))
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for StatusPages {
    const NAME: &'static str = "StatusPages";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_status_names_the_key() {
        let err = StatusPages::configure(|cfg| {
            cfg.status(1000, |_, s| s);
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "StatusPages.status: 1000 is not a valid status code"
        );
    }
}
