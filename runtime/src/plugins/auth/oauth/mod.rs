//! The OAuth 2 provider (authorization code grant; Ktor's `oauth`), on the `oauth2` crate, its
//! token requests sent through oxtor's own [`HttpClient`]. Feature `auth-oauth`.
//!
//! Per request to a route inside `authenticate("login")`:
//! 1. The callback is read from the form body (`Content-Type: application/x-www-form-urlencoded`;
//!    the body is put back for the route) or else the query. `error=` → an
//!    [`OAuth2RedirectError`]; `code` + `state` → the token exchange; neither → no credentials.
//! 2. No credentials: the challenge redirects (`302`) to `authorize_url` with `client_id`,
//!    `redirect_uri` (`url_provider`), `scope`, a fresh signed `state` (after
//!    `on_state_created` saw it), `response_type=code`, the PKCE S256 challenge and the
//!    `extra_auth_parameters`.
//! 3. The exchange first verifies the `state` (signature, provider, expiry, single use: else an
//!    [`OAuth2StateError`]), then sends the code and the PKCE verifier to `access_token_url`
//!    (form `POST`, or `GET` with `request_method`). The answer may be JSON or a form; an
//!    `error` in it wins over the status. Success → the principal
//!    [`OAuthAccessTokenResponse`].
//! 4. Every `Error` cause — redirect `error=`, token endpoint 4xx/5xx, unreachable, timeout,
//!    unparsable, `error` inside a 200, missing token, state failure, no settings — runs
//!    `fallback(call, cause)`. If the fallback answered, that is the answer; if not, `401`
//!    (empty body) keeping the headers the fallback set.
//! 5. `invalid_grant` (a bad or used code) reaches the `fallback` too
//!    ([`OAuth2InvalidGrantError`]); if it does not answer, the user is redirected to the
//!    authorize URL again, as in Ktor 3.4.0.
//!
//! # Where oxtor deliberately differs from Ktor 3.4.0
//! - **The `state` is verified by default** (Ktor's default nonce manager accepts any state). It
//!   is a signed (HMAC-SHA256 with `state_key`), expiring (`state_ttl`, default 5 minutes),
//!   per-flow value: any instance holding the same key completes a flow another started. A
//!   state is accepted once per instance.
//! - **PKCE (S256) is always on.** The verifier is derived from the state with the key, so it
//!   never travels and needs no server-side storage.
//! - **The token request is a `POST` with a form body** (RFC 6749 §3.2); `request_method = GET`
//!   keeps Ktor's old default. `state` is not sent to the token endpoint.
//! - **`invalid_grant` reaches the `fallback` first** (Ktor main, KTOR-9523).
//! - The form callback is recognised by its media type, parameters (`; charset=..`) allowed.
//! - **No settings for a call is a failure.** When `provider_lookup` answers `None` and no static
//!   settings are given, the call fails with an `Error` cause (`fallback`, then `401`); Ktor's
//!   OAuth path does nothing then, so its route runs without a principal, unauthenticated.
//!
//! # Example
//! The seed's sample:
//! ```
//! use oxtor_runtime::plugins::auth::{oauth::OAuth2RedirectError, Authentication};
//! use http::StatusCode;
//!
//! let auth = Authentication::configure(|cfg| {
//!     cfg.oauth("login", |cfg| {
//!         cfg.authorize_url("http://127.0.0.1:8081/authorize");
//!         cfg.access_token_url("http://127.0.0.1:8081/token");
//!         cfg.client_id("oxtor");
//!         cfg.client_secret("secret");
//!         cfg.state_key("a key of at least 32 bytes, shared by every instance");
//!         cfg.url_provider(|call| format!("http://{}/login", call.host().unwrap_or("localhost")));
//!         cfg.fallback(|call, cause| async move {
//!             if cause.is::<OAuth2RedirectError>() {
//!                 call.respond_redirect("/login-after-fallback")
//!             } else {
//!                 call.respond((StatusCode::FORBIDDEN, cause.message()))
//!             }
//!         });
//!     });
//! });
//! assert!(auth.is_ok());
//! ```
mod errors;
mod http;
mod principal;
mod provider;
mod state;

use std::{future::Future, sync::Arc, time::Duration};

use ::http::Method;
use futures_util::future::BoxFuture;

#[doc(inline)]
pub use self::{
    errors::{OAuth2InvalidGrantError, OAuth2RedirectError, OAuth2StateError, OAuth2TokenError},
    principal::{OAuthAccessTokenResponse, OAuthServerSettings},
};
use super::{AuthCall, AuthError};
use crate::{client::HttpClient, ConfigError};
pub(crate) use provider::OAuthProvider;

/// The shortest `state_key` accepted, in bytes.
pub const MIN_STATE_KEY_LEN: usize = 16;

type UrlProvider = Arc<dyn Fn(&AuthCall) -> String + Send + Sync>;
type ProviderLookup =
    Arc<dyn Fn(AuthCall) -> BoxFuture<'static, Option<OAuthServerSettings>> + Send + Sync>;
type OnStateCreated = Arc<dyn Fn(AuthCall, String) -> BoxFuture<'static, ()> + Send + Sync>;
type Fallback = Arc<dyn Fn(AuthCall, AuthError) -> BoxFuture<'static, ()> + Send + Sync>;

/// The configuration of an `oauth("name") { .. }` provider, one builder method per Ktor
/// setting. See the [module docs](self).
pub struct OAuthConfig {
    path: String,
    name: String,
    settings: OAuthServerSettings,
    settings_given: bool,
    client: Option<HttpClient>,
    url_provider: Option<UrlProvider>,
    provider_lookup: Option<ProviderLookup>,
    on_state_created: Option<OnStateCreated>,
    fallback: Option<Fallback>,
    state_key: Option<Vec<u8>>,
    state_ttl: Duration,
    token_timeout: Duration,
}

impl std::fmt::Debug for OAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthConfig")
            .field("name", &self.name)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OAuthConfig {
    pub(crate) fn new(path: String, name: Option<&str>) -> Self {
        let name = name.unwrap_or("").to_owned();
        Self {
            path,
            settings: OAuthServerSettings {
                name: name.clone(),
                ..OAuthServerSettings::default()
            },
            name,
            settings_given: false,
            client: None,
            url_provider: None,
            provider_lookup: None,
            on_state_created: None,
            fallback: None,
            state_key: None,
            state_ttl: Duration::from_secs(300),
            token_timeout: Duration::from_secs(10),
        }
    }

    /// The authorization endpoint (static settings).
    pub fn authorize_url(&mut self, url: impl Into<String>) -> &mut Self {
        self.settings.authorize_url = url.into();
        self.settings_given = true;
        self
    }

    /// The token endpoint (static settings).
    pub fn access_token_url(&mut self, url: impl Into<String>) -> &mut Self {
        self.settings.access_token_url = url.into();
        self.settings_given = true;
        self
    }

    /// The client id (static settings).
    pub fn client_id(&mut self, id: impl Into<String>) -> &mut Self {
        self.settings.client_id = id.into();
        self.settings_given = true;
        self
    }

    /// The client secret (static settings).
    pub fn client_secret(&mut self, secret: impl Into<String>) -> &mut Self {
        self.settings.client_secret = secret.into();
        self
    }

    /// Scopes asked for (static settings).
    pub fn default_scopes<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        scopes: I,
    ) -> &mut Self {
        self.settings.default_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Extra parameters of the authorize redirect (static settings; repeated keys allowed).
    pub fn extra_auth_parameters<I, K, V>(&mut self, params: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.settings.extra_auth_parameters = params
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Extra parameters of the token request (static settings).
    pub fn extra_token_parameters<I, K, V>(&mut self, params: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.settings.extra_token_parameters = params
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Sends the client credentials to the token endpoint as HTTP Basic (static settings).
    pub fn access_token_requires_basic_auth(&mut self, basic: bool) -> &mut Self {
        self.settings.access_token_requires_basic_auth = basic;
        self
    }

    /// The token request's method: `POST` (default) or `GET` (static settings).
    pub fn request_method(&mut self, method: Method) -> &mut Self {
        self.settings.request_method = method;
        self
    }

    /// All static settings at once (Ktor's `settings = OAuth2ServerSettings(..)`).
    pub fn settings(&mut self, settings: OAuthServerSettings) -> &mut Self {
        self.settings = settings;
        self.settings_given = true;
        self
    }

    /// Per-call settings: `|call| async move { Some(settings) }`; `None` falls back to the
    /// static settings (Ktor's `providerLookup`).
    pub fn provider_lookup<F, Fut>(&mut self, lookup: F) -> &mut Self
    where
        F: Fn(AuthCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<OAuthServerSettings>> + Send + 'static,
    {
        self.provider_lookup = Some(Arc::new(move |call| Box::pin(lookup(call))));
        self
    }

    /// The callback URL (`redirect_uri`) for a call: `|call| format!(..)`. Required.
    pub fn url_provider<F>(&mut self, url: F) -> &mut Self
    where
        F: Fn(&AuthCall) -> String + Send + Sync + 'static,
    {
        self.url_provider = Some(Arc::new(url));
        self
    }

    /// Runs when a flow starts, with its `state` (to remember where the user was going);
    /// the principal's [`state`](OAuthAccessTokenResponse::state) gives it back.
    pub fn on_state_created<F, Fut>(&mut self, f: F) -> &mut Self
    where
        F: Fn(AuthCall, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_state_created = Some(Arc::new(move |call, state| Box::pin(f(call, state))));
        self
    }

    /// Runs on every `Error` cause: `|call, cause| async move { .. }`. It may answer the call
    /// (`call.respond_redirect(..)`, `call.respond(..)`); if it does not, `401`.
    pub fn fallback<F, Fut>(&mut self, fallback: F) -> &mut Self
    where
        F: Fn(AuthCall, AuthError) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.fallback = Some(Arc::new(move |call, cause| Box::pin(fallback(call, cause))));
        self
    }

    /// The client sending token requests (default: a new [`HttpClient`]).
    pub fn client(&mut self, client: HttpClient) -> &mut Self {
        self.client = Some(client);
        self
    }

    /// The HMAC key signing the `state` (at least [`MIN_STATE_KEY_LEN`] bytes). Required;
    /// every instance serving the callback needs the same key.
    pub fn state_key(&mut self, key: impl AsRef<[u8]>) -> &mut Self {
        self.state_key = Some(key.as_ref().to_vec());
        self
    }

    /// How long a flow may take from redirect to callback (default 5 minutes).
    pub fn state_ttl(&mut self, ttl: Duration) -> &mut Self {
        self.state_ttl = ttl;
        self
    }

    /// The token request's timeout (default 10 seconds).
    pub fn token_request_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.token_timeout = timeout;
        self
    }

    fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::new(format!("{}.{key}", self.path), message)
    }

    pub(crate) fn build(self) -> Result<OAuthProvider, ConfigError> {
        if !self.settings_given && self.provider_lookup.is_none() {
            return Err(ConfigError::new(
                self.path.clone(),
                "Either settings or providerLookup should be specified",
            ));
        }
        if self.settings_given {
            provider::check_settings(&self.settings)
                .map_err(|(key, message)| self.error(key, message))?;
        }
        let url_provider = self.url_provider.clone().ok_or_else(|| {
            self.error(
                "url_provider",
                "is required: the callback URL (redirect_uri) of the route, e.g. `|call| format!(\"http://{}/login\", ..)`",
            )
        })?;
        let key = self.state_key.as_deref().unwrap_or_default();
        if key.len() < MIN_STATE_KEY_LEN {
            return Err(self.error(
                "state_key",
                format!("an HMAC key of at least {MIN_STATE_KEY_LEN} bytes is required (it signs the OAuth state; every instance needs the same key)"),
            ));
        }
        let codec = state::StateCodec::new(key, self.state_ttl)
            .ok_or_else(|| self.error("state_key", "rejected by HMAC"))?;
        let client = match self.client {
            Some(c) => c,
            None => HttpClient::new().map_err(|e| self.error("client", e.to_string()))?,
        };
        Ok(OAuthProvider::new(provider::Inner {
            settings: self.settings_given.then_some(self.settings),
            client,
            url_provider,
            provider_lookup: self.provider_lookup,
            on_state_created: self.on_state_created,
            fallback: self.fallback,
            codec,
            token_timeout: self.token_timeout,
        }))
    }
}
