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
    fmt,
    sync::{Arc, OnceLock},
};

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use tower_layer::Layer;

use futures_util::future::BoxFuture;

use super::{
    context::{unauthorized, Attempt, AuthContext, AuthenticationFailedCause, Failure, Settle},
    registry::{ProviderRegistry, UnknownProvider},
    ProviderName, ProviderNames,
};
use crate::{
    plugins::auth::AuthenticationProvider,
    routing::{
        guard::{AfterRoute, GuardLayer, GuardService},
        Guarded, RouteGuard, RouteGuards,
    },
};

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
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> GuardService<S> {
        GuardLayer::new(RouteGuards::new([self.guard()])).layer(inner)
    }
}

impl AuthenticateLayer {
    /// The layer as a [`RouteGuard`], for [`Routes::guard`](crate::routing::Routes::guard).
    pub(crate) fn guard(&self) -> Arc<dyn RouteGuard> {
        Arc::new(AuthGuard(self.plan.clone()))
    }
}

/// The [`RouteGuard`] of an `authenticate(..)` block.
struct AuthGuard(Arc<Plan>);

impl RouteGuard for AuthGuard {
    fn check(&self, request: Request) -> Guarded {
        self.0.check(request)
    }
}

impl Plan {
    /// Tries the providers without waiting ([`AuthenticationProvider::attempt`]): the credential
    /// providers (API key, Basic, Bearer with a ready `validate`) decide here, and the route
    /// runs with nothing boxed. The first provider that waits, or failures whose challenges
    /// must run, make the rest one boxed future.
    fn check(self: &Arc<Self>, request: Request) -> Guarded {
        let Some(providers) = self.providers.get() else {
            return Guarded::Respond(self.unbound());
        };
        let mut cx = AuthContext::new(request);
        let mut failures: Vec<Failure> = Vec::new();
        for (i, provider) in providers.iter().enumerate() {
            let wait = match provider.attempt(&mut cx) {
                Attempt::Done(Ok(())) => return pass(cx),
                Attempt::Done(Err(failure)) => match failed(&mut failures, failure, &cx) {
                    Some(response) => return Guarded::Respond(response),
                    None => continue,
                },
                Attempt::Wait(wait) => Some(wait),
                Attempt::Async => None,
            };
            let plan = self.clone();
            return Guarded::Wait(Box::pin(
                async move { plan.resume(cx, failures, i, wait).await },
            ));
        }
        if self.runs_without_principal(&failures) {
            return pass(cx);
        }
        let plan = self.clone();
        Guarded::Wait(Box::pin(async move { plan.answer(cx, failures).await }))
    }

    /// `500`, logged: the names were never resolved.
    fn unbound(&self) -> Response {
        tracing::error!(
            providers = ?self.names,
            "authenticate(..) routes are served without Application::routing, which binds their providers; refusing the call"
        );
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }

    /// Goes on from provider `start`, whose attempt is `wait` (or, `None`, to be awaited).
    async fn resume(
        &self,
        mut cx: AuthContext,
        mut failures: Vec<Failure>,
        start: usize,
        mut wait: Option<BoxFuture<'static, Result<Settle, Failure>>>,
    ) -> Guarded {
        let providers = self.providers.get().map_or(&[][..], Vec::as_slice);
        for provider in providers.iter().skip(start) {
            let result = match wait.take() {
                Some(wait) => wait.await.map(|settle| settle(&mut cx)),
                None => provider.authenticate(&mut cx).await,
            };
            match result {
                Ok(()) => return pass(cx),
                Err(failure) => {
                    if let Some(response) = failed(&mut failures, failure, &cx) {
                        return Guarded::Respond(response);
                    }
                }
            }
        }
        if self.runs_without_principal(&failures) {
            return pass(cx);
        }
        self.answer(cx, failures).await
    }

    /// Rule 3: under `optional`, no `InvalidCredentials` lets the route run without a principal.
    fn runs_without_principal(&self, failures: &[Failure]) -> bool {
        self.optional && !failures.iter().any(|f| f.cause.is_invalid_credentials())
    }

    /// Rules 4 and 5: every provider failed; the failures' challenges answer.
    async fn answer(&self, mut cx: AuthContext, mut failures: Vec<Failure>) -> Guarded {
        let call = cx.call();
        // Non-Error challenges, InvalidCredentials first: the first one answers.
        let mut regular: Vec<&mut Failure> = failures
            .iter_mut()
            .filter(|f| !matches!(f.cause, AuthenticationFailedCause::Error(_)))
            .collect();
        regular.sort_by_key(|f| !f.cause.is_invalid_credentials());
        if let Some(challenge) = regular.into_iter().find_map(|f| f.challenge.take()) {
            challenge.run(call.clone()).await;
            return Guarded::Respond(call.finish(unauthorized));
        }
        for failure in failures.iter_mut() {
            if let Some(challenge) = failure.challenge.take() {
                challenge.run(call.clone()).await;
                if call.is_handled() {
                    break;
                }
            }
        }
        Guarded::Respond(call.finish(unauthorized))
    }
}

/// Records a provider's `failure`; the answer if its fallback answered the call (rule 2: the
/// route is then skipped).
fn failed(failures: &mut Vec<Failure>, failure: Failure, cx: &AuthContext) -> Option<Response> {
    failures.push(failure);
    cx.existing_call()?.take_response()
}

/// Run the route; its response gets the headers a provider's fallback set on the call.
fn pass(cx: AuthContext) -> Guarded {
    let (request, call) = cx.into_parts();
    Guarded::Pass {
        request,
        after: call.map(|call| Box::new(move |response| call.finish(|| response)) as AfterRoute),
    }
}
