//! The Basic provider (Ktor's `basic { }`): [`BasicConfig`], [`BasicAuthProvider`] and
//! [`BasicAuthCredentials`].
//!
//! By default the first request goes **without** credentials (`send_without_request` is false);
//! when the server answers `401` with `WWW-Authenticate: Basic ..` (and the configured `realm`,
//! if any), the request is retried once with `Authorization: Basic base64(user:password)`, the
//! pair encoded as UTF-8 (RFC 7617's `charset="UTF-8"`).
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{plugins::auth::{Auth, BasicAuthCredentials}, HttpClient};
//!
//! # fn main() -> Result<(), oxtor_runtime::client::ClientError> {
//! let client = HttpClient::configure(|cfg| {
//!     cfg.install(Auth, |auth| {
//!         auth.basic(|b| {
//!             b.credentials(|| async { Some(BasicAuthCredentials::new("jetbrains", "foobar")) });
//!             b.realm("Access to the '/' path");
//!         });
//!     });
//! })?;
//! # let _ = client;
//! # Ok(()) }
//! ```
use std::{fmt, future::Future, sync::Arc};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use futures_util::future::BoxFuture;

use super::{
    challenge::AuthChallenge,
    provider::AuthProvider,
    scope::HostScope,
    token_holder::{loader, AuthTokenHolder, Loader, TokenResult},
};
use crate::client::{
    body::HttpResponse, error::ClientError, request::HttpRequestBuilder, HttpClient,
};

/// A user name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuthCredentials {
    /// The user name (must not contain `:`, RFC 7617).
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for BasicAuthCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuthCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl BasicAuthCredentials {
    /// Credentials for `username` and `password`.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The `Authorization` value: `Basic ` + base64 of the UTF-8 bytes of `user:password`.
    pub fn header_value(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!("Basic {}", STANDARD.encode(pair.as_bytes()))
    }
}

type RequestPredicate = Arc<dyn Fn(&HttpRequestBuilder) -> bool + Send + Sync>;

/// The `basic { .. }` block; every setter is a Ktor key.
pub struct BasicConfig {
    credentials: Option<Loader<BasicAuthCredentials>>,
    send_without_request: Option<RequestPredicate>,
    realm: Option<String>,
    cache_tokens: bool,
    scope: HostScope,
}

impl Default for BasicConfig {
    fn default() -> Self {
        Self {
            credentials: None,
            send_without_request: None,
            realm: None,
            cache_tokens: true,
            scope: HostScope::pinned(),
        }
    }
}

impl fmt::Debug for BasicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicConfig")
            .field("credentials", &self.credentials.is_some())
            .field("realm", &self.realm)
            .field("cache_tokens", &self.cache_tokens)
            .field("scope", &self.scope)
            .finish()
    }
}

impl BasicConfig {
    /// Where the credentials come from (default: none). Returns `Option<BasicAuthCredentials>`,
    /// or `Result<Option<BasicAuthCredentials>, E>` when reading them can fail.
    pub fn credentials<F, Fut, O>(&mut self, credentials: F) -> &mut Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = O> + Send + 'static,
        O: TokenResult<BasicAuthCredentials>,
    {
        self.credentials = Some(loader(credentials));
        self
    }

    /// Whether a request gets the credentials before the server asks (default: none does).
    pub fn send_without_request(
        &mut self,
        predicate: impl Fn(&HttpRequestBuilder) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.send_without_request = Some(Arc::new(predicate));
        self
    }

    /// Answer only challenges with this `realm`.
    pub fn realm(&mut self, realm: impl Into<String>) -> &mut Self {
        self.realm = Some(realm.into());
        self
    }

    /// Ktor 3.4's `cacheTokens`: `true` (default) reads the credentials once, `false` on every
    /// request.
    pub fn cache_tokens(&mut self, cache: bool) -> &mut Self {
        self.cache_tokens = cache;
        self
    }

    /// Sends the credentials to exactly these hosts (`host` or `host:port`) instead of pinning
    /// them to the first request's origin; see [`HostScope`].
    pub fn hosts<I>(&mut self, hosts: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.scope = HostScope::hosts(hosts);
        self
    }

    pub(crate) fn build(self) -> BasicAuthProvider {
        let load = self
            .credentials
            .unwrap_or_else(|| loader(|| async { None::<BasicAuthCredentials> }));
        BasicAuthProvider {
            credentials: AuthTokenHolder::with_loader(self.cache_tokens, load),
            send_without_request: self.send_without_request,
            realm: self.realm,
            scope: self.scope,
        }
    }
}

/// The Basic provider; see the [module docs](self).
pub struct BasicAuthProvider {
    credentials: AuthTokenHolder<BasicAuthCredentials>,
    send_without_request: Option<RequestPredicate>,
    realm: Option<String>,
    scope: HostScope,
}

impl fmt::Debug for BasicAuthProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuthProvider")
            .field("credentials", &self.credentials)
            .field("realm", &self.realm)
            .field("scope", &self.scope)
            .finish()
    }
}

impl BasicAuthProvider {
    /// The credentials holder (its cache state and [`get`](AuthTokenHolder::get)).
    pub fn credentials(&self) -> &AuthTokenHolder<BasicAuthCredentials> {
        &self.credentials
    }

    /// Forgets the cached credentials and the pinned host; the next request reads them again.
    pub fn clear_token(&self) {
        AuthProvider::clear_token(self);
    }
}

impl AuthProvider for BasicAuthProvider {
    fn send_without_request(&self, request: &HttpRequestBuilder) -> bool {
        self.send_without_request
            .as_ref()
            .is_some_and(|p| p(request))
    }

    fn is_applicable(&self, challenge: &AuthChallenge) -> bool {
        challenge.is_scheme("Basic")
            && self
                .realm
                .as_deref()
                .is_none_or(|r| challenge.realm() == Some(r))
    }

    fn add_request_headers<'a>(
        &'a self,
        request: &'a mut HttpRequestBuilder,
        _challenge: Option<&'a AuthChallenge>,
    ) -> BoxFuture<'a, Result<(), ClientError>> {
        Box::pin(async move {
            if let Some(credentials) = self.credentials.load_held().await? {
                if self.scope.claim(request.url_ref()) {
                    let header = credentials.header(BasicAuthCredentials::header_value);
                    request.headers.set_authorization(header);
                }
            }
            Ok(())
        })
    }

    fn refresh_token<'a>(
        &'a self,
        _client: &'a HttpClient,
        _response: &'a mut HttpResponse,
    ) -> BoxFuture<'a, Result<bool, ClientError>> {
        // Rejected credentials: read them again for the retry (Ktor re-reads them too).
        self.credentials.clear_token();
        Box::pin(async { Ok(true) })
    }

    fn is_for(&self, request: &HttpRequestBuilder) -> bool {
        self.scope.allows(request.url_ref())
    }

    fn clear_token(&self) {
        self.credentials.clear_token();
        self.scope.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::BasicAuthCredentials;

    #[test]
    fn credentials_are_encoded_as_utf8() {
        let c = BasicAuthCredentials::new("UmlauteÄüö", "a&Secret%!23");
        assert_eq!(
            c.header_value(),
            "Basic VW1sYXV0ZcOEw7zDtjphJlNlY3JldCUhMjM="
        );
    }

    #[test]
    fn a_colon_in_the_password_is_kept() {
        let c = BasicAuthCredentials::new("test", "4711:apassword");
        assert_eq!(c.header_value(), "Basic dGVzdDo0NzExOmFwYXNzd29yZA==");
    }
}
