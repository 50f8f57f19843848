//! [`AuthenticateLayer`]: the tower layer behind `authenticate(..) { .. }`, applying Ktor's
//! rules (`AuthenticationInterceptors.kt`) to the providers it names.
//!
//! 1. Providers run in the order named; the first principal wins and the route runs.
//! 2. A provider's `fallback` that answered the call ends it there (the route is skipped).
//! 3. Under `optional`, if no provider reported `InvalidCredentials`, the route runs without a
//!    principal (`NoCredentials` and `Error` failures are suppressed).
//! 4. Otherwise the first challenge of the non-`Error` failures, `InvalidCredentials` before
//!    `NoCredentials`, answers; if it does not respond, `401` (empty body).
//! 5. With only `Error` failures, their challenges run in order until one responds; then `401`.
//!
//! Headers a fallback or challenge added to the call are kept on whatever answers it.
use std::{
    convert::Infallible,
    fmt,
    future::Future,
    sync::{Arc, OnceLock},
    task::{Context, Poll, Waker},
};

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use tower_layer::Layer;
use tower_service::Service;

use super::{
    context::{unauthorized, AuthCall, AuthContext, AuthenticationFailedCause, Failure},
    future::ResponseFuture,
    registry::{ProviderRegistry, UnknownProvider},
    ProviderName, ProviderNames,
};
use crate::plugins::auth::AuthenticationProvider;

/// Wraps routes so that only authenticated calls reach them. Built from the providers an
/// [`Authentication`](super::Authentication) plugin registered; the `authenticate(..)` routing
/// block builds one at start-up.
///
/// ```
/// use oxtor_runtime::plugins::auth::{Authentication, AuthenticateLayer, ApiKeys, Principal, UserIdPrincipal};
/// use axum::{routing::get, Router};
///
/// let auth = Authentication::configure(|cfg| {
///     cfg.api_key("key", |cfg| {
///         cfg.validate(ApiKeys::constant_time(["secret-key"]));
///     });
/// }).unwrap();
/// let layer = AuthenticateLayer::new(auth.registry(), "key", false).unwrap();
/// let router: Router = Router::new()
///     .route("/", get(|Principal(p): Principal<UserIdPrincipal>| async move { p.name }))
///     .route_layer(layer);
/// # let _ = router;
/// // A name that is not registered fails, listing the registered ones.
/// let err = AuthenticateLayer::new(auth.registry(), "nope", false).unwrap_err();
/// assert_eq!(err.to_string(), "authenticate(\"nope\"): no authentication provider `nope` is installed (installed: \"key\")");
/// ```
#[derive(Clone)]
pub struct AuthenticateLayer {
    plan: Arc<Plan>,
}

struct Plan {
    /// Set when the names are resolved against a registry: at once by
    /// [`AuthenticateLayer::new`], at start-up for the `authenticate(..)` block.
    providers: OnceLock<Vec<Arc<dyn AuthenticationProvider>>>,
    names: Vec<ProviderName>,
    optional: bool,
}

impl fmt::Debug for AuthenticateLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticateLayer")
            .field("providers", &self.plan.names)
            .field("optional", &self.plan.optional)
            .finish()
    }
}

impl AuthenticateLayer {
    /// A layer trying the providers `names` (in order) from `registry`; `optional` as Ktor's
    /// `authenticate(optional = true)`. A name `registry` does not hold is an error listing the
    /// names it does hold.
    pub fn new(
        registry: &ProviderRegistry,
        names: impl ProviderNames,
        optional: bool,
    ) -> Result<Self, UnknownProvider> {
        let layer = Self::unbound(names.into_names(), optional);
        layer.bind(registry)?;
        Ok(layer)
    }

    /// A layer whose providers are resolved later by [`bind`](Self::bind); until then it
    /// answers `500` (routes served without `Application::routing`'s start-up checks).
    pub(crate) fn unbound(names: Vec<ProviderName>, optional: bool) -> Self {
        Self {
            plan: Arc::new(Plan {
                providers: OnceLock::new(),
                names,
                optional,
            }),
        }
    }

    /// The provider names, in order.
    pub fn names(&self) -> &[ProviderName] {
        &self.plan.names
    }

    /// Resolves the names against `registry` (once; a second call changes nothing).
    pub(crate) fn bind(&self, registry: &ProviderRegistry) -> Result<(), UnknownProvider> {
        let names = &self.plan.names;
        let providers = names
            .iter()
            .map(|name| registry.get(name, names))
            .collect::<Result<Vec<_>, _>>()?;
        let _ = self.plan.providers.set(providers);
        Ok(())
    }
}

impl<S> Layer<S> for AuthenticateLayer {
    type Service = Authenticate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authenticate {
            inner,
            plan: self.plan.clone(),
        }
    }
}

/// The service [`AuthenticateLayer`] builds.
#[derive(Clone)]
pub struct Authenticate<S> {
    inner: S,
    plan: Arc<Plan>,
}

impl<S> fmt::Debug for Authenticate<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticate")
            .field("providers", &self.plan.names)
            .finish_non_exhaustive()
    }
}

impl<S> Service<Request> for Authenticate<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let mut outcome = Box::pin(self.plan.clone().authenticate(request));
        // The credential providers (API key, Basic, Bearer with a synchronous `validate`)
        // decide without waiting: polled once here, the route is called at once by the ready
        // service, without the clone a later call needs. A provider that waits (OAuth, an
        // asynchronous `validate`) is polled again, with the task's waker, by the future.
        match outcome
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(Outcome::Route(request, call)) => {
                ResponseFuture::route(self.inner.call(request), call)
            }
            Poll::Ready(Outcome::Answered(response)) => ResponseFuture::answered(response),
            Poll::Pending => {
                // The ready service goes with this call; the clone waits for the next
                // `poll_ready`.
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                ResponseFuture::waiting(Box::pin(async move {
                    match outcome.await {
                        Outcome::Route(request, call) => {
                            let response = match inner.call(request).await {
                                Ok(r) => r,
                                Err(never) => match never {},
                            };
                            finish(response, call)
                        }
                        Outcome::Answered(response) => response,
                    }
                }))
            }
        }
    }
}

/// What authentication decided: run the route (with the call a provider's fallback may have
/// added headers to), or answer without it.
enum Outcome {
    Route(Request, Option<AuthCall>),
    Answered(Response),
}

/// The route's `response`, with the headers an earlier provider's fallback set on the call.
pub(super) fn finish(response: Response, call: Option<AuthCall>) -> Response {
    match call {
        Some(call) => call.finish(|| response),
        None => response,
    }
}

impl Plan {
    async fn authenticate(self: Arc<Self>, request: Request) -> Outcome {
        let Some(providers) = self.providers.get() else {
            tracing::error!(
                providers = ?self.names,
                "authenticate(..) routes are served without Application::routing, which binds their providers; refusing the call"
            );
            return Outcome::Answered(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        };
        let mut cx = AuthContext::new(request);
        let mut failures: Vec<Failure> = Vec::new();
        for provider in providers {
            match provider.authenticate(&mut cx).await {
                Ok(()) => {
                    let (request, call) = cx.into_parts();
                    return Outcome::Route(request, call);
                }
                Err(failure) => {
                    failures.push(failure);
                    // A fallback answered: the call is handled, the route is skipped.
                    if let Some(call) = cx.existing_call() {
                        if let Some(response) = call.take_response() {
                            return Outcome::Answered(response);
                        }
                    }
                }
            }
        }

        let invalid = failures.iter().any(|f| f.cause.is_invalid_credentials());
        if self.optional && !invalid {
            let (request, call) = cx.into_parts();
            return Outcome::Route(request, call);
        }

        let call = cx.call();
        // Non-Error challenges, InvalidCredentials first: the first one answers.
        let mut regular: Vec<&mut Failure> = failures
            .iter_mut()
            .filter(|f| !matches!(f.cause, AuthenticationFailedCause::Error(_)))
            .collect();
        regular.sort_by_key(|f| !f.cause.is_invalid_credentials());
        if let Some(challenge) = regular.into_iter().find_map(|f| f.challenge.take()) {
            challenge.run(call.clone()).await;
            return Outcome::Answered(call.finish(unauthorized));
        }
        for failure in failures.iter_mut() {
            if let Some(challenge) = failure.challenge.take() {
                challenge.run(call.clone()).await;
                if call.is_handled() {
                    break;
                }
            }
        }
        Outcome::Answered(call.finish(unauthorized))
    }
}
