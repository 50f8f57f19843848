//! The credential providers (`api_key`, `basic`, `bearer`) as one generic provider: a
//! [`Scheme`] finds the credential in the request and builds the failures, a user's
//! `|credential| async move { Some(principal) }` checks it.
//!
//! [`Validated`] keeps the user's function and principal types (no type erasure below the
//! provider). Its [`attempt`](AuthenticationProvider::attempt) decides without boxing anything
//! when `validate` returns a `Ready` future (`ApiKeys::constant_time`, `|k| ready(..)`); any
//! other `validate` future is boxed and polled once, and waited for only if it is not ready.
//! [`Validate`] holds a configured `validate` until its scheme is built.
use std::{
    any::Any,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, Waker},
};

use axum::extract::Request;
use futures_util::future::BoxFuture;
use http::{header, HeaderValue, StatusCode};

use super::context::{
    Attempt, AuthCall, AuthContext, AuthenticationFailedCause, AuthenticationProvider, Challenge,
    Failure, Settle,
};

/// How a provider kind finds its credential and answers its failures.
pub(crate) trait Scheme: Send + Sync + 'static {
    /// What `validate` is given.
    type Credential: Send + 'static;

    /// The credential `request` carries, or why there is none (`NoCredentials`, or
    /// `InvalidCredentials` for one that can never be valid).
    fn credential(&self, request: &Request) -> Result<Self::Credential, AuthenticationFailedCause>;

    /// The failure reported for `cause`, with this scheme's challenge.
    fn failure(&self, cause: AuthenticationFailedCause) -> Failure;
}

/// A provider: `scheme` extracts, `validate` checks and yields the principal.
struct Validated<S, F> {
    scheme: S,
    validate: F,
}

impl<S, F, Fut, T> AuthenticationProvider for Validated<S, F>
where
    S: Scheme,
    F: Fn(S::Credential) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<T>> + Send + 'static,
    T: Clone + Send + Sync + 'static,
{
    fn authenticate<'a>(&'a self, cx: &'a mut AuthContext) -> BoxFuture<'a, Result<(), Failure>> {
        let credential = self.scheme.credential(cx.request());
        Box::pin(async move {
            let credential = credential.map_err(|cause| self.scheme.failure(cause))?;
            let principal = (self.validate)(credential).await;
            self.settle(cx, principal)
        })
    }

    fn attempt(&self, cx: &mut AuthContext) -> Attempt {
        let credential = match self.scheme.credential(cx.request()) {
            Ok(credential) => credential,
            Err(cause) => return Attempt::Done(Err(self.scheme.failure(cause))),
        };
        let mut validating = (self.validate)(credential);
        let noop = &mut Context::from_waker(Waker::noop());
        let principal = match poll_ready_future(&mut validating, noop) {
            Some(principal) => principal,
            None => {
                let mut validating = Box::pin(validating);
                match validating.as_mut().poll(noop) {
                    Poll::Ready(principal) => principal,
                    Poll::Pending => {
                        let invalid = self
                            .scheme
                            .failure(AuthenticationFailedCause::InvalidCredentials);
                        return Attempt::Wait(Box::pin(async move {
                            match validating.await {
                                Some(principal) => Ok(Box::new(move |cx: &mut AuthContext| {
                                    cx.set_principal(principal)
                                }) as Settle),
                                None => Err(invalid),
                            }
                        }));
                    }
                }
            }
        };
        Attempt::Done(self.settle(cx, principal))
    }
}

impl<S: Scheme, F> Validated<S, F> {
    /// `validate`'s answer as the provider's outcome: the principal is set, or the credentials
    /// were invalid.
    fn settle<T: Clone + Send + Sync + 'static>(
        &self,
        cx: &mut AuthContext,
        principal: Option<T>,
    ) -> Result<(), Failure> {
        match principal {
            Some(principal) => {
                cx.set_principal(principal);
                Ok(())
            }
            None => Err(self
                .scheme
                .failure(AuthenticationFailedCause::InvalidCredentials)),
        }
    }
}

/// The output of `future` if it is a `Ready` future (`futures::future::Ready`,
/// `std::future::Ready`): those are `Unpin`, so polled where they are, without boxing.
fn poll_ready_future<Fut, T>(future: &mut Fut, cx: &mut Context<'_>) -> Option<Option<T>>
where
    Fut: Future<Output = Option<T>> + 'static,
    T: 'static,
{
    let any: &mut dyn Any = future;
    let poll = if let Some(ready) = any.downcast_mut::<futures_util::future::Ready<Option<T>>>() {
        Pin::new(ready).poll(cx)
    } else if let Some(ready) = any.downcast_mut::<std::future::Ready<Option<T>>>() {
        Pin::new(ready).poll(cx)
    } else {
        return None;
    };
    match poll {
        Poll::Ready(principal) => Some(principal),
        Poll::Pending => None,
    }
}

/// A configured `validate` for credentials of scheme `S`, waiting for the scheme (built from
/// the rest of the configuration) to become a provider.
pub(crate) struct Validate<S>(Box<dyn FnOnce(S) -> Arc<dyn AuthenticationProvider> + Send>);

impl<S: Scheme> Validate<S> {
    /// Keeps `validate` with its types.
    pub(crate) fn new<F, Fut, T>(validate: F) -> Self
    where
        F: Fn(S::Credential) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<T>> + Send + 'static,
        T: Clone + Send + Sync + 'static,
    {
        Self(Box::new(move |scheme| {
            Arc::new(Validated { scheme, validate })
        }))
    }

    /// The provider checking `scheme`'s credentials with this `validate`.
    pub(crate) fn provider(self, scheme: S) -> Arc<dyn AuthenticationProvider> {
        (self.0)(scheme)
    }
}

/// A failure whose challenge answers `401` with `WWW-Authenticate: <challenge>` (Basic, Bearer).
pub(crate) fn www_authenticate(
    challenge: &HeaderValue,
    cause: AuthenticationFailedCause,
) -> Failure {
    let value = challenge.clone();
    Failure::with_challenge(
        cause,
        Challenge::new(move |call: AuthCall| async move {
            call.respond((
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, value)],
            ));
        }),
    )
}
