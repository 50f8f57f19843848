//! The principal extractors: [`Principal<T>`] and `Option<Principal<T>>`, and
//! [`UserIdPrincipal`], the principal the docs' `validate` functions return.
use std::ops::{Deref, DerefMut};

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    response::{IntoResponse, Response},
};
use http::{request::Parts, StatusCode};

/// The principal a provider of the enclosing `authenticate(..)` block produced, of the type its
/// `validate` returned (Ktor's `call.principal<T>()`). Inside `authenticate` it is always
/// there; without one (a route outside any block, or a different `T`) the extractor answers
/// `401` with an empty body. Under `authenticate(.., optional = true)` take
/// `Option<Principal<T>>`.
///
/// ```
/// use oxtor_runtime::plugins::auth::{Principal, UserIdPrincipal};
///
/// async fn secret(Principal(key): Principal<UserIdPrincipal>) -> String {
///     format!("Key: {}", key.name)
/// }
/// async fn maybe(p: Option<Principal<UserIdPrincipal>>) -> String {
///     p.map_or("anonymous".into(), |p| p.name.clone())
/// }
/// let _router: axum::Router = axum::Router::new()
///     .route("/secret", axum::routing::get(secret))
///     .route("/maybe", axum::routing::get(maybe));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Principal<T>(pub T);

impl<T> Deref for Principal<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Principal<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The rejection of [`Principal<T>`]: `401 Unauthorized`, empty body.
#[derive(Debug, Clone, Copy, Default)]
pub struct MissingPrincipal;

impl IntoResponse for MissingPrincipal {
    fn into_response(self) -> Response {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

impl<S, T> FromRequestParts<S> for Principal<T>
where
    S: Send + Sync,
    T: Clone + Send + Sync + 'static,
{
    type Rejection = MissingPrincipal;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal<T>>()
            .cloned()
            .ok_or(MissingPrincipal)
    }
}

impl<S, T> OptionalFromRequestParts<S> for Principal<T>
where
    S: Send + Sync,
    T: Clone + Send + Sync + 'static,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Principal<T>>().cloned())
    }
}

/// A principal that is just a name: a user id, or the API key itself (Ktor's
/// `UserIdPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserIdPrincipal {
    /// The name.
    pub name: String,
}

impl UserIdPrincipal {
    /// A principal named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}
