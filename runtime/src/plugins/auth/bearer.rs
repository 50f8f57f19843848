//! The Bearer provider (RFC 6750; Ktor's `bearer`): `Authorization: Bearer <token>`.
//!
//! No `Authorization` header or another scheme → `NoCredentials`; `validate` returning `None`
//! → `InvalidCredentials`. Either way the challenge answers `401` with
//! `WWW-Authenticate: Bearer` (plus ` realm="<realm>"` when a realm is set, as Ktor).
//!
//! # Example
//! ```
//! use oxtor_runtime::plugins::auth::{Authentication, UserIdPrincipal};
//!
//! let auth = Authentication::configure(|cfg| {
//!     cfg.bearer("t", |cfg| {
//!         cfg.realm("api");
//!         cfg.validate(|token| async move { (token == "abc123").then(|| UserIdPrincipal::new("jetbrains")) });
//!     });
//! });
//! assert!(auth.is_ok());
//! ```
use std::future::Future;
use std::sync::Arc;

use axum::extract::Request;
use http::{header, HeaderValue};

use super::{
    basic::escape_quoted,
    context::{AuthenticationFailedCause, Failure},
    validate::{www_authenticate, Scheme, Validate},
    AuthenticationProvider,
};
use crate::ConfigError;

/// The configuration of a `bearer("name") { .. }` provider. See the [module docs](self).
pub struct BearerConfig {
    path: String,
    realm: Option<String>,
    validate: Option<Validate<BearerScheme>>,
}

impl std::fmt::Debug for BearerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BearerConfig")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl BearerConfig {
    pub(crate) fn new(path: String) -> Self {
        Self {
            path,
            realm: None,
            validate: None,
        }
    }

    /// The realm in the challenge (default: none).
    pub fn realm(&mut self, realm: impl Into<String>) -> &mut Self {
        self.realm = Some(realm.into());
        self
    }

    /// Checks a token: `|token| async move { .. }` returning `Some(principal)` or `None`.
    /// Required (Ktor's `authenticate { tokenCredential -> .. }`).
    pub fn validate<F, Fut, T>(&mut self, validate: F) -> &mut Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<T>> + Send + 'static,
        T: Clone + Send + Sync + 'static,
    {
        self.validate = Some(Validate::new(validate));
        self
    }

    pub(crate) fn build(self) -> Result<Arc<dyn AuthenticationProvider>, ConfigError> {
        let validate = self.validate.ok_or_else(|| {
            ConfigError::new(
                format!("{}.validate", self.path),
                "Bearer authentication requires a validate() function to be configured",
            )
        })?;
        let challenge = match &self.realm {
            Some(realm) => format!("Bearer realm=\"{}\"", escape_quoted(realm)),
            None => "Bearer".to_owned(),
        };
        let challenge = HeaderValue::try_from(challenge).map_err(|_| {
            ConfigError::new(
                format!("{}.realm", self.path),
                "the realm must be visible ASCII text",
            )
        })?;
        Ok(validate.provider(BearerScheme { challenge }))
    }
}

/// `Authorization: Bearer <token>`, challenged with `WWW-Authenticate: Bearer ..`.
pub(crate) struct BearerScheme {
    challenge: HeaderValue,
}

/// The token of `Authorization: Bearer <token>`.
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let value = value.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl Scheme for BearerScheme {
    type Credential = String;

    fn credential(&self, request: &Request) -> Result<String, AuthenticationFailedCause> {
        request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(bearer_token)
            .map(str::to_owned)
            .ok_or(AuthenticationFailedCause::NoCredentials)
    }

    fn failure(&self, cause: AuthenticationFailedCause) -> Failure {
        www_authenticate(&self.challenge, cause)
    }
}
