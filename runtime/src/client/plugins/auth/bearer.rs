//! The Bearer provider (Ktor's `bearer { }`): [`BearerConfig`], [`BearerAuthProvider`],
//! [`BearerTokens`] and [`RefreshTokensParams`].
//!
//! Tokens come from `load_tokens` (cached unless `cache_tokens(false)`) and are sent as
//! `Authorization: Bearer <access>` on every request to the provider's hosts
//! (`send_without_request` defaults to true). When a response rejects them, `refresh_tokens`
//! runs **once** for all the requests that were sent with the rejected token; a `None` from it
//! hands the rejecting response back to the caller.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{plugins::auth::{Auth, BearerAuthProvider, BearerTokens}, HttpClient};
//!
//! # fn main() -> Result<(), oxtor_runtime::client::ClientError> {
//! let client = HttpClient::configure(|cfg| {
//!     cfg.install(Auth, |auth| {
//!         auth.bearer(|b| {
//!             b.load_tokens(|| async { Some(BearerTokens::new("access", "refresh")) });
//!             b.refresh_tokens(|params| async move {
//!                 let old = params.old_tokens?;
//!                 Some(BearerTokens::new(format!("{}-new", old.access_token), "refresh"))
//!             });
//!         });
//!     });
//! })?;
//! let provider = client.auth_provider::<BearerAuthProvider>().expect("one bearer provider");
//! provider.clear_token();
//! # Ok(()) }
//! ```
use std::{fmt, future::Future, sync::Arc};

use futures_util::future::BoxFuture;
use http::{HeaderMap, StatusCode};

use super::{
    challenge::AuthChallenge,
    provider::AuthProvider,
    scope::HostScope,
    token_holder::{loader, AuthTokenHolder, Held, Loader, TokenResult},
};
use crate::client::{
    body::HttpResponse, error::ClientError, request::HttpRequestBuilder, HttpClient,
};

/// An access token and an optional refresh token.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerTokens {
    /// Sent as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Kept for `refresh_tokens`; never sent by the provider.
    pub refresh_token: Option<String>,
}

impl fmt::Debug for BearerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens are secrets: keep them out of logs.
        f.debug_struct("BearerTokens")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl BearerTokens {
    /// An access token with a refresh token.
    pub fn new(access_token: impl Into<String>, refresh_token: impl Into<String>) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: Some(refresh_token.into()),
        }
    }

    /// An access token alone.
    pub fn access(access_token: impl Into<String>) -> Self {
        Self {
            access_token: access_token.into(),
            refresh_token: None,
        }
    }
}

/// What `refresh_tokens` is given (Ktor's `RefreshTokensParams`).
#[derive(Debug, Clone)]
pub struct RefreshTokensParams {
    /// The client the rejected call ran on; mark its refresh request with
    /// [`mark_as_refresh_token_request`](HttpRequestBuilder::mark_as_refresh_token_request)
    /// (an unmarked request that this provider had to re-authorize would wait for this very
    /// refresh).
    pub client: HttpClient,
    /// The status of the response that rejected the tokens.
    pub status: StatusCode,
    /// Its headers (`WWW-Authenticate`, ..).
    pub headers: HeaderMap,
    /// The URL of the rejected request.
    pub url: String,
    /// The tokens that were rejected (the cached ones, or freshly loaded when none are cached).
    pub old_tokens: Option<BearerTokens>,
}

type Refresher = Arc<
    dyn Fn(RefreshTokensParams) -> BoxFuture<'static, Result<Option<BearerTokens>, ClientError>>
        + Send
        + Sync,
>;
type RequestPredicate = Arc<dyn Fn(&HttpRequestBuilder) -> bool + Send + Sync>;

/// The `bearer { .. }` block; every setter is a Ktor key.
pub struct BearerConfig {
    load: Option<Loader<BearerTokens>>,
    refresh: Option<Refresher>,
    send_without_request: Option<RequestPredicate>,
    realm: Option<String>,
    cache_tokens: bool,
    non_cancellable_refresh: bool,
    scope: HostScope,
}

impl Default for BearerConfig {
    fn default() -> Self {
        Self {
            load: None,
            refresh: None,
            send_without_request: None,
            realm: None,
            cache_tokens: true,
            non_cancellable_refresh: false,
            scope: HostScope::pinned(),
        }
    }
}

impl fmt::Debug for BearerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerConfig")
            .field("load_tokens", &self.load.is_some())
            .field("refresh_tokens", &self.refresh.is_some())
            .field("realm", &self.realm)
            .field("cache_tokens", &self.cache_tokens)
            .field("non_cancellable_refresh", &self.non_cancellable_refresh)
            .field("scope", &self.scope)
            .finish()
    }
}

impl BearerConfig {
    /// Where tokens come from (default: none). Returns `Option<BearerTokens>`, or
    /// `Result<Option<BearerTokens>, E>` when loading can fail.
    pub fn load_tokens<F, Fut, O>(&mut self, load: F) -> &mut Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = O> + Send + 'static,
        O: TokenResult<BearerTokens>,
    {
        self.load = Some(loader(load));
        self
    }

    /// How rejected tokens are renewed (default: they are not, and the rejection is returned).
    pub fn refresh_tokens<F, Fut, O>(&mut self, refresh: F) -> &mut Self
    where
        F: Fn(RefreshTokensParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = O> + Send + 'static,
        O: TokenResult<BearerTokens>,
    {
        self.refresh = Some(Arc::new(move |params| {
            let fut = refresh(params);
            Box::pin(async move { fut.await.into_token_result() })
        }));
        self
    }

    /// Whether a request gets the token before the server asks (default: every request).
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

    /// Ktor 3.4's `cacheTokens`: `true` (default) loads once, `false` on every request.
    pub fn cache_tokens(&mut self, cache: bool) -> &mut Self {
        self.cache_tokens = cache;
        self
    }

    /// Ktor's `nonCancellableRefresh`: with `true` a refresh runs as its own task on the
    /// client's runtime, so it completes and stores its tokens even if the request that started
    /// it is dropped (default `false`: the refresh is cancelled with its request).
    pub fn non_cancellable_refresh(&mut self, non_cancellable: bool) -> &mut Self {
        self.non_cancellable_refresh = non_cancellable;
        self
    }

    /// Sends the token to exactly these hosts (`host` or `host:port`) instead of pinning it to
    /// the first request's origin; see [`HostScope`].
    pub fn hosts<I>(&mut self, hosts: I) -> &mut Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.scope = HostScope::hosts(hosts);
        self
    }

    pub(crate) fn build(self) -> BearerAuthProvider {
        let load = self
            .load
            .unwrap_or_else(|| loader(|| async { None::<BearerTokens> }));
        BearerAuthProvider {
            tokens: Arc::new(AuthTokenHolder::with_loader(self.cache_tokens, load)),
            refresh: self.refresh,
            non_cancellable_refresh: self.non_cancellable_refresh,
            send_without_request: self.send_without_request,
            realm: self.realm,
            scope: self.scope,
        }
    }
}

/// The Bearer provider; see the [module docs](self).
pub struct BearerAuthProvider {
    tokens: Arc<AuthTokenHolder<BearerTokens>>,
    refresh: Option<Refresher>,
    non_cancellable_refresh: bool,
    send_without_request: Option<RequestPredicate>,
    realm: Option<String>,
    scope: HostScope,
}

impl fmt::Debug for BearerAuthProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuthProvider")
            .field("tokens", &self.tokens)
            .field("realm", &self.realm)
            .field("scope", &self.scope)
            .finish()
    }
}

impl BearerAuthProvider {
    /// The token holder (its cache state and [`get`](AuthTokenHolder::get)).
    pub fn tokens(&self) -> &AuthTokenHolder<BearerTokens> {
        &self.tokens
    }

    /// Forgets the cached tokens and the pinned host; the next request loads tokens again.
    pub fn clear_token(&self) {
        AuthProvider::clear_token(self);
    }

    /// [`is_for`](AuthProvider::is_for) and [`add_request_headers`](AuthProvider::add_request_headers)
    /// in one step and without a future when a token is cached (the Auth plugin's path for every
    /// request after the first): the host scope is checked once, and the token read once.
    pub(crate) fn add_cached_header(&self, request: &mut HttpRequestBuilder) -> Cached {
        match self
            .tokens
            .with_cached(|tokens| self.add_header(tokens, request))
        {
            Some(true) => Cached::Sent,
            Some(false) => Cached::NotFor,
            None => Cached::Load,
        }
    }

    /// Sets `Authorization: Bearer <access>` when `request` may have the token (host scoping);
    /// whether it did.
    fn add_header(&self, tokens: &Held<BearerTokens>, request: &mut HttpRequestBuilder) -> bool {
        let allowed = self.scope.claim(request.url_ref());
        if allowed {
            let header = tokens.header(|t| format!("Bearer {}", t.access_token));
            request.headers.set_authorization(header);
        }
        allowed
    }
}

/// What [`BearerAuthProvider::add_cached_header`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cached {
    /// The cached token was added.
    Sent,
    /// The request's URL is not in the provider's scope: nothing was added.
    NotFor,
    /// No token is cached (or caching is off): it has to be loaded, with a future.
    Load,
}

impl AuthProvider for BearerAuthProvider {
    fn send_without_request(&self, request: &HttpRequestBuilder) -> bool {
        self.send_without_request
            .as_ref()
            .is_none_or(|p| p(request))
    }

    fn is_applicable(&self, challenge: &AuthChallenge) -> bool {
        challenge.is_scheme("Bearer")
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
            if let Some(tokens) = self.tokens.load_held().await? {
                self.add_header(&tokens, request);
            }
            Ok(())
        })
    }

    fn refresh_token<'a>(
        &'a self,
        client: &'a HttpClient,
        response: &'a mut HttpResponse,
    ) -> BoxFuture<'a, Result<bool, ClientError>> {
        let Some(refresh) = self.refresh.clone() else {
            return Box::pin(async { Ok(false) });
        };
        let tokens = self.tokens.clone();
        let (client, status, headers, url) = (
            client.clone(),
            response.status(),
            response.headers().clone(),
            response.url().to_owned(),
        );
        let refreshing = async move {
            tokens
                .set_token(|current| async {
                    let old_tokens = match current {
                        Some(t) => Some(t),
                        None => tokens.load_uncached().await?,
                    };
                    refresh(RefreshTokensParams {
                        client: client.clone(),
                        status,
                        headers,
                        url,
                        old_tokens,
                    })
                    .await
                })
                .await
        };
        let non_cancellable = self.non_cancellable_refresh;
        Box::pin(async move {
            let new = if non_cancellable {
                // A detached task: dropping this future does not stop it.
                let handle = tokio::runtime::Handle::current();
                handle
                    .spawn(refreshing)
                    .await
                    .map_err(|e| ClientError::Runtime(format!("token refresh failed: {e}")))??
            } else {
                refreshing.await?
            };
            Ok(new.is_some())
        })
    }

    fn is_for(&self, request: &HttpRequestBuilder) -> bool {
        self.scope.allows(request.url_ref())
    }

    fn clear_token(&self) {
        self.tokens.clear_token();
        self.scope.reset();
    }
}
