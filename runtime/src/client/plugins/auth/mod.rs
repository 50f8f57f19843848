//! The client `Auth` plugin (feature `client-auth`, Ktor's `install(Auth) { .. }`): Basic and
//! Bearer providers with Ktor 3.4's token cache control, one refresh for many rejected requests,
//! and credentials scoped to hosts.
//!
//! | module | owns |
//! |---|---|
//! | [`provider`] | the [`AuthProvider`] trait, [`AuthCircuitBreaker`] / `mark_as_refresh_token_request` |
//! | [`bearer`] | `bearer { .. }`: [`BearerConfig`], [`BearerAuthProvider`], [`BearerTokens`] |
//! | [`basic`] | `basic { .. }`: [`BasicConfig`], [`BasicAuthProvider`], [`BasicAuthCredentials`] |
//! | [`token_holder`] | [`AuthTokenHolder`]: cached or per-request loads, single-flight refresh, clear |
//! | [`scope`] | [`HostScope`]: which hosts credentials go to |
//! | [`challenge`] | [`AuthChallenge`]: `WWW-Authenticate` parsing |
//! | `plugin` | the request flow: send, re-authorize, refresh once, retry once |
//!
//! Token cache control (Ktor 3.4): tokens are loaded once and cached (`cache_tokens(true)`, the
//! default) or loaded for every request (`false`). [`HttpClient::auth_providers`] lists the
//! providers, [`HttpClient::auth_provider`] finds the only one of a type (`None` when there is
//! none **or more than one**), `provider.clear_token()` and [`HttpClient::clear_auth_tokens`]
//! make the next request load fresh tokens — log out, then log in as someone else, in one client.
//!
//! Where oxtor differs from Ktor 3.4.0, on purpose:
//! - Credentials go only to the provider's hosts: by default the origin of the first request
//!   that carried them (see [`HostScope`]); Ktor sends them to any host.
//! - A request whose body is a stream ([`RequestBody::channel`](crate::client::RequestBody::channel))
//!   is never retried (the body is gone): its rejection is returned after the tokens are
//!   refreshed for the next request. Buffered bodies are replayed.
//! - A refresh request ([`mark_as_refresh_token_request`](crate::client::HttpRequestBuilder::mark_as_refresh_token_request))
//!   keeps the headers you set on it; Ktor removes an `Authorization` header from it when a
//!   token is loaded.
//! - `WWW-Authenticate: bearer` matches the Bearer provider (schemes are case-insensitive, RFC
//!   9110 §11.1); Ktor requires exactly `Bearer`.
//!
//! # Example
//! ```
//! use std::sync::{atomic::{AtomicUsize, Ordering}, Arc};
//! use axum::{http::{HeaderMap, StatusCode}, response::IntoResponse, routing::get, Router};
//! use oxtor_runtime::{
//!     client::{plugins::auth::{Auth, BearerAuthProvider, BearerTokens}, HttpClient},
//!     testing::TestApplication, Application,
//! };
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A resource that accepts only `Bearer fresh`.
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/me", get(|headers: HeaderMap| async move {
//!     match headers.get("authorization").and_then(|v| v.to_str().ok()) {
//!         Some("Bearer fresh") => "alice".into_response(),
//!         _ => (StatusCode::UNAUTHORIZED, [("www-authenticate", "Bearer realm=\"api\"")]).into_response(),
//!     }
//! })))?;
//! let server = TestApplication::start(app).await?;
//!
//! let refreshes = Arc::new(AtomicUsize::new(0));
//! let counter = refreshes.clone();
//! let client = HttpClient::configure(move |cfg| {
//!     let counter = counter.clone();
//!     cfg.install(Auth, move |auth| {
//!         let counter = counter.clone();
//!         auth.bearer(|b| {
//!             b.load_tokens(|| async { Some(BearerTokens::new("expired", "r1")) });
//!             b.refresh_tokens(move |_params| {
//!                 counter.fetch_add(1, Ordering::SeqCst);
//!                 async { Some(BearerTokens::new("fresh", "r2")) }
//!             });
//!         });
//!     });
//! })?;
//!
//! assert_eq!(client.get(&server.url("/me")).body::<String>().await?, "alice");
//! assert_eq!(client.get(&server.url("/me")).body::<String>().await?, "alice");
//! assert_eq!(refreshes.load(Ordering::SeqCst), 1);
//! let bearer = client.auth_provider::<BearerAuthProvider>().expect("one bearer provider");
//! assert_eq!(bearer.tokens().get().map(|t| t.access_token), Some("fresh".to_owned()));
//! client.clear_auth_tokens(); // log out: the next request loads tokens again
//! assert!(bearer.tokens().get().is_none());
//! # Ok(()) }
//! ```
pub mod basic;
pub mod bearer;
pub mod challenge;
mod plugin;
pub mod provider;
pub mod scope;
pub mod token_holder;

use std::{any::Any, fmt, sync::Arc};

use self::plugin::{AuthInterceptor, AuthState, ReAuthorize, Slot};
#[doc(inline)]
pub use self::{
    basic::{BasicAuthCredentials, BasicAuthProvider, BasicConfig},
    bearer::{BearerAuthProvider, BearerConfig, BearerTokens, RefreshTokensParams},
    challenge::AuthChallenge,
    provider::{AuthCircuitBreaker, AuthProvider},
    scope::HostScope,
    token_holder::{AuthTokenHolder, TokenResult},
};
use super::{ClientPlugin, ConfigBlocks, PluginScope};
use crate::client::{body::HttpResponse, error::ClientError, HttpClient};

/// The `Auth` plugin: `cfg.install(Auth, |auth| { auth.bearer(..); auth.basic(..); })`, or
/// `install(Auth { bearer { .. } })` in `http_client!`. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Auth;

/// The `Auth { .. }` block: the providers, in order, and when to re-authorize.
#[derive(Default)]
pub struct AuthConfig {
    providers: Vec<Arc<dyn AuthProvider>>,
    re_authorize: Option<ReAuthorize>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("providers", &self.providers.len())
            .field("re_authorize_on_response", &self.re_authorize.is_some())
            .finish()
    }
}

impl AuthConfig {
    /// Adds a Bearer provider configured by `block` (`bearer { .. }`).
    pub fn bearer(&mut self, block: impl FnOnce(&mut BearerConfig)) -> &mut Self {
        let mut config = BearerConfig::default();
        block(&mut config);
        self.provider(config.build())
    }

    /// Adds a Basic provider configured by `block` (`basic { .. }`).
    pub fn basic(&mut self, block: impl FnOnce(&mut BasicConfig)) -> &mut Self {
        let mut config = BasicConfig::default();
        block(&mut config);
        self.provider(config.build())
    }

    /// Adds a provider of your own.
    pub fn provider(&mut self, provider: impl AuthProvider) -> &mut Self {
        self.providers.push(Arc::new(provider));
        self
    }

    /// Which responses reject the credentials (default: status `401`), Ktor's
    /// `reAuthorizeOnResponse`.
    pub fn re_authorize_on_response(
        &mut self,
        rejects: impl Fn(&HttpResponse) -> bool + Send + Sync + 'static,
    ) -> &mut Self {
        self.re_authorize = Some(Arc::new(rejects));
        self
    }

    /// The providers added so far.
    pub fn providers(&self) -> &[Arc<dyn AuthProvider>] {
        &self.providers
    }
}

/// The providers of an installed `Auth`, kept in the client's attributes.
struct AuthProviders(Vec<Arc<dyn AuthProvider>>);

impl ClientPlugin for Auth {
    type Config = AuthConfig;
    const NAME: &'static str = "Auth";

    fn install(
        blocks: ConfigBlocks<AuthConfig>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError> {
        let config = blocks.build();
        scope
            .attributes()
            .insert(AuthProviders(config.providers.clone()));
        let state = AuthState {
            slots: config.providers.into_iter().map(Slot::new).collect(),
            re_authorize: config.re_authorize,
        };
        scope.on_send(AuthInterceptor(Arc::new(state)));
        Ok(())
    }
}

impl HttpClient {
    /// The providers of the installed `Auth` plugin, in order (empty without it); Ktor's
    /// `HttpClient.authProviders`.
    pub fn auth_providers(&self) -> &[Arc<dyn AuthProvider>] {
        self.attributes()
            .get::<AuthProviders>()
            .map_or(&[], |p| &p.0[..])
    }

    /// The provider of type `T` if there is exactly one (`None` for none or several); Ktor's
    /// `authProvider<T>()`.
    pub fn auth_provider<T: AuthProvider>(&self) -> Option<Arc<T>> {
        let mut found = self.auth_providers().iter().filter_map(|p| {
            let any: Arc<dyn Any + Send + Sync> = p.clone();
            any.downcast::<T>().ok()
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// Clears the cached tokens of every provider, so the next request loads fresh ones; Ktor's
    /// `clearAuthTokens()`.
    pub fn clear_auth_tokens(&self) {
        for provider in self.auth_providers() {
            provider.clear_token();
        }
    }
}
