//! The [`AuthProvider`] trait (Ktor's `AuthProvider`) that [`Auth`](super::Auth) drives, and
//! [`AuthCircuitBreaker`], the mark of a request that must not be authenticated or retried.
//!
//! A provider in another crate has the same power as the built-in Basic and Bearer ones: the
//! plugin only calls these methods.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{
//!     plugins::auth::{Auth, AuthChallenge, AuthProvider},
//!     ClientError, HttpClient, HttpRequestBuilder,
//! };
//! use futures_util::future::BoxFuture;
//!
//! /// Sends a fixed API key to every request.
//! struct ApiKey(&'static str);
//!
//! impl AuthProvider for ApiKey {
//!     fn send_without_request(&self, _: &HttpRequestBuilder) -> bool { true }
//!     fn is_applicable(&self, challenge: &AuthChallenge) -> bool { challenge.is_scheme("ApiKey") }
//!     fn add_request_headers<'a>(
//!         &'a self,
//!         request: &'a mut HttpRequestBuilder,
//!         _: Option<&'a AuthChallenge>,
//!     ) -> BoxFuture<'a, Result<(), ClientError>> {
//!         Box::pin(async move { request.header("x-api-key", self.0); Ok(()) })
//!     }
//! }
//!
//! # fn main() -> Result<(), ClientError> {
//! let client = HttpClient::configure(|cfg| { cfg.install(Auth, |a| { a.provider(ApiKey("k")); }); })?;
//! assert_eq!(client.auth_providers().len(), 1);
//! assert!(client.auth_provider::<ApiKey>().is_some());
//! # Ok(()) }
//! ```
use std::any::Any;

use futures_util::future::BoxFuture;

use super::challenge::AuthChallenge;
use crate::client::{
    body::HttpResponse, error::ClientError, request::HttpRequestBuilder, statement::HttpStatement,
    HttpClient,
};

/// An authentication scheme the [`Auth`](super::Auth) plugin drives; see the
/// [module docs](self).
pub trait AuthProvider: Any + Send + Sync {
    /// Whether to add credentials before the server asks for them.
    fn send_without_request(&self, request: &HttpRequestBuilder) -> bool;

    /// Whether this provider answers `challenge` (a `WWW-Authenticate` entry).
    fn is_applicable(&self, challenge: &AuthChallenge) -> bool;

    /// Adds the credentials to `request` (replacing what an earlier attempt added); `challenge`
    /// is the challenge being answered on a retry.
    fn add_request_headers<'a>(
        &'a self,
        request: &'a mut HttpRequestBuilder,
        challenge: Option<&'a AuthChallenge>,
    ) -> BoxFuture<'a, Result<(), ClientError>>;

    /// Refreshes the credentials after `response` rejected them; `false` gives the caller that
    /// response without a retry. The default keeps the credentials and retries. (The response is
    /// lent mutably because its body is not `Sync`; what a provider reads of the body is gone for
    /// the caller.)
    fn refresh_token<'a>(
        &'a self,
        client: &'a HttpClient,
        response: &'a mut HttpResponse,
    ) -> BoxFuture<'a, Result<bool, ClientError>> {
        let _ = (client, response);
        Box::pin(async { Ok(true) })
    }

    /// Whether this provider may send credentials to `request`'s URL at all (host scoping). A
    /// provider that is not for the URL adds nothing and is not asked to re-authorize.
    fn is_for(&self, request: &HttpRequestBuilder) -> bool {
        let _ = request;
        true
    }

    /// Forgets cached credentials, so the next request loads fresh ones.
    fn clear_token(&self) {}
}

/// Marks a request that the Auth plugin must leave alone: no provider adds credentials and a
/// 401 is returned as is (Ktor's `AuthCircuitBreaker`). The request a `refresh_tokens` block
/// sends carries it: see [`HttpRequestBuilder::mark_as_refresh_token_request`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthCircuitBreaker;

impl HttpRequestBuilder {
    /// Marks this request as a token refresh (Ktor's `markAsRefreshTokenRequest()`): the Auth
    /// plugin adds no credentials to it (headers you set stay) and never retries it, so a refresh
    /// that gets a 401 cannot loop.
    pub fn mark_as_refresh_token_request(&mut self) -> &mut Self {
        self.attribute(AuthCircuitBreaker)
    }

    /// Whether the request carries [`AuthCircuitBreaker`].
    pub fn is_refresh_token_request(&self) -> bool {
        self.attributes().contains::<AuthCircuitBreaker>()
    }
}

impl HttpStatement {
    /// [`HttpRequestBuilder::mark_as_refresh_token_request`] on this statement's request.
    pub fn mark_as_refresh_token_request(self) -> Self {
        self.with(|r| {
            r.mark_as_refresh_token_request();
        })
    }
}
