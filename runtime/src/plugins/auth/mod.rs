//! `Authentication`: named providers, and `authenticate(..) { .. }` routing blocks that protect
//! the routes inside them. Ktor's `ktor-server-auth` (feature `auth`; OAuth under
//! `auth-oauth`).
//!
//! | module | owns |
//! |---|---|
//! | [`api_key`] | `api_key("name") { header_name, validate, challenge }`, [`ApiKeys::constant_time`] |
//! | [`basic`] | `basic("name") { realm, validate }` |
//! | [`bearer`] | `bearer("name") { realm, validate }` |
//! | [`oauth`] | `oauth("name") { .. }`: authorization code + PKCE, signed state, `fallback` (feature `auth-oauth`) |
//! | [`layer`] | [`AuthenticateLayer`], Ktor's rules for trying providers and answering failures |
//!
//! `install!(Authentication { api_key("key") { .. } basic("b") { .. } })` registers named
//! providers (`api_key(None) { .. }` registers the default one, Ktor's unnamed provider);
//! `routing! { authenticate("key", "b", optional = true) { routes } }` protects `routes`:
//! providers are tried in order and the first principal wins; the route takes it as
//! [`Principal<T>`] (or `Option<Principal<T>>` under `optional`), `T` being what the
//! provider's `validate` returned. When none succeeds, the failures are answered as Ktor does
//! (see [`layer`]): `InvalidCredentials` challenges before `NoCredentials` ones, then `Error`
//! causes, then `401` with an empty body. An `authenticate` naming a provider that is not
//! installed fails at start-up, listing the installed names.
//!
//! **Nested blocks each check their own providers**, outer block first:
//! `authenticate("a") { authenticate("b") { route } }` lets a call reach `route` only with
//! credentials for `a` and for `b` (the route sees the inner block's principal). This is where
//! oxtor deliberately differs from Ktor, which pools the providers of nested blocks into one
//! list where the first success wins; name them in one block for that:
//! `authenticate("a", "b") { route }`.
//!
//! # Example
//! The seed's API key sample; `routing! { authenticate("my-api-key") { secret } }` expands to
//! the block below.
//! ```
//! use oxtor_runtime::{
//!     plugins::auth::*, routing::{Blocks, RoutingBlock, Routes}, testing::TestApplication,
//!     Application,
//! };
//! use axum::{routing::get, Router};
//!
//! async fn secret(Principal(key): Principal<UserIdPrincipal>) -> String {
//!     format!("Key: {}", key.name)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! // install!(Authentication {
//! //     api_key("my-api-key") { validate = ApiKeys::constant_time(["secret-key"]) }
//! // })
//! app.install(Authentication::configure(|cfg| {
//!     cfg.api_key("my-api-key", |cfg| {
//!         cfg.validate(ApiKeys::constant_time(["secret-key"]));
//!     });
//! }))?;
//! let block = Blocks.authenticate("my-api-key");
//! app.routing(block.wrap(Routes::from(Router::new().route("/", get(secret)))))?;
//!
//! let server = TestApplication::start(app).await?;
//! let client = reqwest::Client::new();
//! let ok = client.get(server.url("/")).header("X-Api-Key", "secret-key").send().await.unwrap();
//! assert_eq!(ok.text().await.unwrap(), "Key: secret-key");
//! let denied = client.get(server.url("/")).header("X-Api-Key", "nope").send().await.unwrap();
//! assert_eq!(denied.status(), 401);
//! # Ok(()) }
//! ```
//!
//! A block naming a provider that is not installed stops the application at start-up:
//! ```
//! use oxtor_runtime::{plugins::auth::*, routing::{Blocks, RoutingBlock, Routes}, Application};
//! use axum::{routing::get, Router};
//!
//! let mut app = Application::new(());
//! app.install(Authentication::configure(|cfg| {
//!     cfg.bearer("t", |cfg| { cfg.validate(|t| async move { Some(UserIdPrincipal::new(t)) }); });
//! })).unwrap();
//! let routes = Blocks.authenticate(("t", "key")).wrap(Routes::from(Router::new().route("/", get(|| async { "" }))));
//! let err = app.routing(routes).unwrap_err();
//! assert_eq!(err.to_string(), "authenticate(\"t\", \"key\"): no authentication provider `key` is installed (installed: \"t\")");
//! ```
pub mod api_key;
pub mod basic;
pub mod bearer;
mod block;
mod context;
pub mod layer;
#[cfg(feature = "auth-oauth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth-oauth")))]
pub mod oauth;
mod principal;
mod registry;
mod validate;

use std::sync::Arc;

#[doc(inline)]
pub use self::{
    api_key::{ApiKeyConfig, ApiKeys},
    basic::{BasicConfig, UserPasswordCredential},
    bearer::BearerConfig,
    block::{AuthenticateBlock, AuthenticateBlocks},
    context::{
        Attempt, AuthCall, AuthContext, AuthError, AuthenticationFailedCause,
        AuthenticationProvider, Challenge, Failure, Settle,
    },
    layer::AuthenticateLayer,
    principal::{MissingPrincipal, Principal, UserIdPrincipal},
    registry::{ProviderName, ProviderNames, ProviderRegistry, UnknownProvider},
};
use crate::{app::Application, ConfigError, Plugin};

/// The `Authentication` plugin: a set of named providers. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Authentication {
    registry: ProviderRegistry,
}

/// The configuration of [`Authentication`]: one method per provider kind, each taking the
/// provider's name and its configuration block.
#[derive(Debug, Default)]
pub struct AuthenticationConfig {
    registry: ProviderRegistry,
    errors: Vec<ConfigError>,
}

fn path(kind: &str, name: &ProviderName) -> String {
    match name.as_str() {
        Some(n) => format!("Authentication.{kind}({n:?})"),
        None => format!("Authentication.{kind}"),
    }
}

impl AuthenticationConfig {
    fn register(
        &mut self,
        kind: &str,
        name: ProviderName,
        provider: Result<Arc<dyn AuthenticationProvider>, ConfigError>,
    ) {
        if self.registry.contains(&name) {
            self.errors.push(ConfigError::new(
                path(kind, &name),
                format!("a provider named {name} is already registered"),
            ));
            return;
        }
        match provider {
            Ok(p) => self.registry.insert(name, p),
            Err(e) => self.errors.push(e),
        }
    }

    /// Registers an API key provider (Ktor's `apiKey(name) { .. }`); see [`api_key`].
    pub fn api_key(
        &mut self,
        name: impl Into<ProviderName>,
        block: impl FnOnce(&mut ApiKeyConfig),
    ) -> &mut Self {
        let name = name.into();
        let mut cfg = ApiKeyConfig::new(path("api_key", &name));
        block(&mut cfg);
        self.register("api_key", name, cfg.build());
        self
    }

    /// Registers a Basic provider (Ktor's `basic(name) { .. }`); see [`basic`].
    pub fn basic(
        &mut self,
        name: impl Into<ProviderName>,
        block: impl FnOnce(&mut BasicConfig),
    ) -> &mut Self {
        let name = name.into();
        let mut cfg = BasicConfig::new(path("basic", &name));
        block(&mut cfg);
        self.register("basic", name, cfg.build());
        self
    }

    /// Registers a Bearer provider (Ktor's `bearer(name) { .. }`); see [`bearer`].
    pub fn bearer(
        &mut self,
        name: impl Into<ProviderName>,
        block: impl FnOnce(&mut BearerConfig),
    ) -> &mut Self {
        let name = name.into();
        let mut cfg = BearerConfig::new(path("bearer", &name));
        block(&mut cfg);
        self.register("bearer", name, cfg.build());
        self
    }

    /// Registers an OAuth 2 provider (Ktor's `oauth(name) { .. }`); see [`oauth`].
    #[cfg(feature = "auth-oauth")]
    #[cfg_attr(docsrs, doc(cfg(feature = "auth-oauth")))]
    pub fn oauth(
        &mut self,
        name: impl Into<ProviderName>,
        block: impl FnOnce(&mut oauth::OAuthConfig),
    ) -> &mut Self {
        let name = name.into();
        let mut cfg = oauth::OAuthConfig::new(path("oauth", &name), name.as_str());
        block(&mut cfg);
        let provider = cfg
            .build()
            .map(|p| Arc::new(p) as Arc<dyn AuthenticationProvider>);
        self.register("oauth", name, provider);
        self
    }

    /// Registers a provider of the application's own (Ktor's `register(provider)`).
    pub fn provider(
        &mut self,
        name: impl Into<ProviderName>,
        provider: impl AuthenticationProvider,
    ) -> &mut Self {
        self.register("provider", name.into(), Ok(Arc::new(provider)));
        self
    }
}

impl Authentication {
    /// Configures the plugin; what `install!(Authentication { .. })` expands to. The first
    /// rejected setting is the error (a missing `validate`, a provider name used twice, …).
    pub fn configure(block: impl FnOnce(&mut AuthenticationConfig)) -> Result<Self, ConfigError> {
        let mut cfg = AuthenticationConfig::default();
        block(&mut cfg);
        if let Some(e) = cfg.errors.into_iter().next() {
            return Err(e);
        }
        Ok(Self {
            registry: cfg.registry,
        })
    }

    /// The registered providers.
    pub fn registry(&self) -> &ProviderRegistry {
        &self.registry
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for Authentication {
    const NAME: &'static str = "Authentication";

    /// Stores the providers in [`Application::extensions`], where the `authenticate(..)`
    /// blocks of routes added afterwards find them.
    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.extensions_mut().insert(self.registry);
        Ok(())
    }
}
