//! The API key provider (Ktor 3.4's `apiKey`): a shared secret in a request header.
//!
//! - `header_name` (default `X-Api-Key`, matched case-insensitively): the first value is the
//!   key. No header → `NoCredentials`; otherwise `validate(key)` runs — for an empty value
//!   too — and `None` → `InvalidCredentials`.
//! - Both failures answer the same way: the `challenge` (default: `401`, empty body, no
//!   `WWW-Authenticate`). They differ only under `authenticate(.., optional = true)`, where a
//!   missing key lets the route run without a principal and a wrong key is still `401`.
//! - `validate` is required; without it configuration fails with Ktor's message.
//! - [`ApiKeys::constant_time`] is the safe `validate` for a fixed set of keys.
//!
//! # Example
//! ```
//! use oxtor_runtime::plugins::auth::{ApiKeys, Authentication, UserIdPrincipal};
//! use http::StatusCode;
//!
//! let auth = Authentication::configure(|cfg| {
//!     cfg.api_key("my-api-key", |cfg| {
//!         cfg.validate(ApiKeys::constant_time(["secret-key"]));
//!     });
//!     cfg.api_key("custom", |cfg| {
//!         cfg.header_name("hello");
//!         cfg.validate(|key| async move { (key == "world").then(|| UserIdPrincipal::new(key)) });
//!         cfg.challenge(|call| async move { call.respond(StatusCode::CONFLICT) });
//!     });
//! });
//! assert!(auth.is_ok());
//! // `validate` is required.
//! let err = Authentication::configure(|cfg| { cfg.api_key("k", |_| {}); }).unwrap_err();
//! assert_eq!(err.to_string(), "Authentication.api_key(\"k\").validate: API Key authentication requires a validate() function to be configured");
//! ```
use std::{future::Future, sync::Arc};

use axum::extract::Request;
use futures_util::future::{ready, BoxFuture, Ready};
use http::HeaderName;
use subtle::ConstantTimeEq;

use super::{
    context::{unauthorized, AuthCall, AuthenticationFailedCause, Challenge, Failure},
    validate::{Scheme, Validate},
    AuthenticationProvider, UserIdPrincipal,
};
use crate::ConfigError;

/// Ktor's `ApiKeyAuth.DEFAULT_HEADER_NAME`.
pub const DEFAULT_HEADER_NAME: &str = "X-Api-Key";

type ChallengeFn = Arc<dyn Fn(AuthCall) -> BoxFuture<'static, ()> + Send + Sync>;

/// The configuration of an `api_key("name") { .. }` provider. See the [module docs](self).
pub struct ApiKeyConfig {
    path: String,
    header_name: HeaderName,
    validate: Option<Validate<ApiKeyScheme>>,
    challenge: Option<ChallengeFn>,
    errors: Vec<ConfigError>,
}

impl std::fmt::Debug for ApiKeyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("header_name", &self.header_name)
            .finish_non_exhaustive()
    }
}

impl ApiKeyConfig {
    pub(crate) fn new(path: String) -> Self {
        Self {
            path,
            header_name: HeaderName::from_static("x-api-key"),
            validate: None,
            challenge: None,
            errors: Vec::new(),
        }
    }

    /// The header carrying the key (default `X-Api-Key`; case-insensitive).
    pub fn header_name(&mut self, name: &str) -> &mut Self {
        match HeaderName::try_from(name) {
            Ok(h) => self.header_name = h,
            Err(_) => self.errors.push(ConfigError::new(
                format!("{}.header_name", self.path),
                format!("{name:?} is not a valid header name"),
            )),
        }
        self
    }

    /// Checks a key: `|key| async move { .. }` returning `Some(principal)` (any
    /// `Clone + Send + Sync` type, taken by the route as `Principal<T>`) or `None`. Required.
    pub fn validate<F, Fut, T>(&mut self, validate: F) -> &mut Self
    where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<T>> + Send + 'static,
        T: Clone + Send + Sync + 'static,
    {
        self.validate = Some(Validate::new(validate));
        self
    }

    /// What answers a missing or wrong key: `|call| async move { call.respond(..) }`. If it
    /// does not respond, the answer is `401`. Default: `401`, empty body.
    pub fn challenge<F, Fut>(&mut self, challenge: F) -> &mut Self
    where
        F: Fn(AuthCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.challenge = Some(Arc::new(move |call| Box::pin(challenge(call))));
        self
    }

    pub(crate) fn build(self) -> Result<Arc<dyn AuthenticationProvider>, ConfigError> {
        if let Some(e) = self.errors.into_iter().next() {
            return Err(e);
        }
        let validate = self.validate.ok_or_else(|| {
            ConfigError::new(
                format!("{}.validate", self.path),
                "API Key authentication requires a validate() function to be configured",
            )
        })?;
        Ok(validate.provider(ApiKeyScheme {
            header_name: self.header_name,
            challenge: self.challenge,
        }))
    }
}

/// Where an `api_key` provider finds the key, and how it answers a missing or wrong one.
pub(crate) struct ApiKeyScheme {
    header_name: HeaderName,
    challenge: Option<ChallengeFn>,
}

impl Scheme for ApiKeyScheme {
    type Credential = String;

    fn credential(&self, request: &Request) -> Result<String, AuthenticationFailedCause> {
        match request.headers().get(&self.header_name) {
            None => Err(AuthenticationFailedCause::NoCredentials),
            // A value that is not text cannot equal any key a `validate` accepts.
            Some(v) => v
                .to_str()
                .map(str::to_owned)
                .map_err(|_| AuthenticationFailedCause::InvalidCredentials),
        }
    }

    fn failure(&self, cause: AuthenticationFailedCause) -> Failure {
        let custom = self.challenge.clone();
        Failure::with_challenge(
            cause,
            Challenge::new(move |call: AuthCall| async move {
                match custom {
                    Some(challenge) => challenge(call).await,
                    None => call.respond(unauthorized()),
                }
            }),
        )
    }
}

/// Ready-made `validate` functions for API keys.
#[derive(Debug)]
pub struct ApiKeys(());

impl ApiKeys {
    /// A `validate` accepting exactly `keys`, compared in constant time (with `subtle`; only a
    /// key's length can show in the timing), whose principal is
    /// [`UserIdPrincipal`] named after the key:
    /// `api_key("my-api-key") { validate = ApiKeys::constant_time(["secret-key"]) }`.
    ///
    /// ```
    /// # use oxtor_runtime::plugins::auth::ApiKeys;
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let validate = ApiKeys::constant_time(["secret-key"]);
    /// assert_eq!(validate("secret-key".into()).await.unwrap().name, "secret-key");
    /// assert!(validate("secret-kez".into()).await.is_none());
    /// # }
    /// ```
    pub fn constant_time<I, K>(
        keys: I,
    ) -> impl Fn(String) -> Ready<Option<UserIdPrincipal>> + Clone + Send + Sync + 'static
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        let keys: Arc<[String]> = keys.into_iter().map(Into::into).collect();
        move |key: String| {
            // Every key is compared; no early exit.
            let found = keys.iter().fold(subtle::Choice::from(0), |acc, k| {
                acc | k.as_bytes().ct_eq(key.as_bytes())
            });
            ready(bool::from(found).then(|| UserIdPrincipal::new(key)))
        }
    }
}
