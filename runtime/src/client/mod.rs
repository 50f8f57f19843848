//! The HTTP client (feature `client`): [`HttpClient`] on hyper-util's pooled client with
//! hyper-rustls (HTTP/1.1, h2 via ALPN, h2c with prior knowledge).
//!
//! | module | owns |
//! |---|---|
//! | [`engine`] | [`EngineConfig`] (`engine { .. }`), [`Dispatcher`], the pooled hyper client |
//! | [`pool`] | connection caps per route and in total, built at the connector |
//! | [`statement`] | [`HttpStatement`]: `execute`/`body` on the engine's dispatcher, `execute_blocking` |
//! | `send` | the send chain: `on_request` hooks, interceptors, the engine call, `on_engine` |
//! | [`request`] | [`HttpRequestBuilder`], [`Headers`], [`Attributes`], [`RequestBody`] + [`BodyWriter`] (duplex) |
//! | [`body`] | [`HttpResponse`], [`ResponseBody`] with `read_to` / `read_to_limit` |
//! | [`plugins`] | the plugin mechanism (`install`, `install_or_replace`), `DefaultRequest`, and `Auth` (feature `client-auth`) |
//! | [`url`] | [`UrlBuilder`], the possibly-relative URL `DefaultRequest` merges |
//!
//! Configuration uses plain `&mut self` builder methods, so the client DSL (`http_client!`) is
//! `install!`'s grammar desugared to them:
//! `http_client! { engine { max_conn_total = 10_000 } default_request(replace = true) { url("http://api/") } }`
//! is `HttpClient::configure(|cfg| { cfg.engine(|cfg| { cfg.max_conn_total(10_000); });
//! cfg.default_request(|cfg| { cfg.url("http://api/"); }).replace(true); })` (a keyed argument is
//! a setter on what the method returns: [`DefaultRequestInstall::replace`]), and
//! `install(DefaultRequest { url("http://api/") })` is
//! `cfg.install(DefaultRequest, |cfg| { cfg.url("http://api/"); })`.
//!
//! # Example
//! ```
//! use oxtor_runtime::{client::HttpClient, testing::TestApplication, Application};
//! use axum::{routing::{get, post}, Json, Router};
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut app = Application::new(());
//! app.routing(Router::new()
//!     .route("/hello", get(|| async { "Hello, world!" }))
//!     .route("/echo", post(|Json(v): Json<serde_json::Value>| async move { Json(v) })))?;
//! let server = TestApplication::start(app).await?;
//! let base = server.url("/");
//!
//! let client = HttpClient::configure(move |cfg| {
//!     cfg.engine(|e| { e.max_conn_per_route(8); });
//!     cfg.default_request(move |d| { d.url(&base); });
//! })?;
//! assert_eq!(client.get("hello").body::<String>().await?, "Hello, world!");
//! let echoed: serde_json::Value = client.post("echo").json(&serde_json::json!({"a": 1})).await?.json().await?;
//! assert_eq!(echoed["a"], 1);
//! # Ok(()) }
//! ```
pub mod body;
pub mod engine;
pub mod error;
pub mod plugins;
pub mod pool;
pub mod request;
mod request_body;
mod send;
pub mod statement;
pub mod url;

use std::{any::TypeId, fmt, sync::Arc};

use http::Method;

#[cfg(feature = "client-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "client-auth")))]
#[doc(inline)]
pub use self::plugins::auth::{
    Auth, BasicAuthCredentials, BasicAuthProvider, BearerAuthProvider, BearerTokens,
};
#[doc(inline)]
pub use self::{
    body::{FromResponse, HttpResponse, Json, ResponseBody},
    engine::{Dispatcher, EngineConfig},
    error::{BoxError, ClientError, TimeoutKind},
    plugins::{
        default_request::{DefaultRequest, DefaultRequestBuilder},
        ClientPlugin,
    },
    request::{Attributes, BodyWriter, Headers, HttpRequestBuilder, RequestBody},
    statement::HttpStatement,
    url::UrlBuilder,
};
use self::{
    engine::Engine,
    plugins::{PluginEntry, PluginScope},
};

type EngineBlock = Arc<dyn Fn(&mut EngineConfig) + Send + Sync>;

/// The client configuration: engine blocks and installed plugins with their chained blocks.
/// See the [module docs](self) for how the DSL maps onto it.
#[derive(Clone, Default)]
pub struct HttpClientConfig {
    engine: Vec<EngineBlock>,
    plugins: Vec<PluginEntry>,
    max_body_size: Option<u64>,
}

impl fmt::Debug for HttpClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientConfig")
            .field("engine_blocks", &self.engine.len())
            .field("plugins", &self.plugins)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

impl HttpClientConfig {
    /// Configures the engine (`engine { .. }`); blocks are chained. A client derived with
    /// [`HttpClient::config`] shares its parent's engine, so engine blocks there are ignored.
    pub fn engine(
        &mut self,
        block: impl Fn(&mut EngineConfig) + Send + Sync + 'static,
    ) -> &mut Self {
        self.engine.push(Arc::new(block));
        self
    }

    /// The most a response body collected whole (`bytes`, `text`, `json`, `body::<T>()`) may
    /// hold, in bytes (default [`body::DEFAULT_MAX_BODY_SIZE`], 64 MiB); past it the call fails
    /// with [`ClientError::BodyTooLarge`]. Override it per call with
    /// [`HttpStatement::max_body_size`] or [`HttpResponse::max_body_size`].
    pub fn max_body_size(&mut self, bytes: u64) -> &mut Self {
        self.max_body_size = Some(bytes);
        self
    }

    fn entry<P: ClientPlugin>(&mut self) -> &mut PluginEntry {
        let key = TypeId::of::<P>();
        let idx = match self.plugins.iter().position(|e| e.key == key) {
            Some(i) => i,
            None => {
                self.plugins.push(PluginEntry::new::<P>());
                self.plugins.len() - 1
            }
        };
        &mut self.plugins[idx]
    }

    /// Installs `plugin`, appending `block` to its earlier config blocks (which run first).
    pub fn install<P: ClientPlugin>(
        &mut self,
        plugin: P,
        block: impl Fn(&mut P::Config) + Send + Sync + 'static,
    ) -> &mut Self {
        let _ = plugin;
        self.entry::<P>().push(block);
        self
    }

    /// Installs `plugin`, discarding its earlier config blocks; its install position stays that of
    /// the first installation, and a later `install` chains onto this block again.
    pub fn install_or_replace<P: ClientPlugin>(
        &mut self,
        plugin: P,
        block: impl Fn(&mut P::Config) + Send + Sync + 'static,
    ) -> &mut Self {
        let _ = plugin;
        let entry = self.entry::<P>();
        entry.clear();
        entry.push(block);
        self
    }

    /// Ktor's `defaultRequest { .. }`: `install(DefaultRequest, block)`. The block runs per
    /// request. Call [`replace(true)`](DefaultRequestInstall::replace) on the result for
    /// `defaultRequest(replace = true) { .. }` (the DSL's `default_request(replace = true) { .. }`).
    pub fn default_request(
        &mut self,
        block: impl Fn(&mut DefaultRequestBuilder) + Send + Sync + 'static,
    ) -> DefaultRequestInstall<'_> {
        let block: DefaultRequestBlock = Arc::new(block);
        let installed = block.clone();
        self.install(DefaultRequest, move |d| installed(d));
        DefaultRequestInstall {
            config: self,
            block,
        }
    }

    /// Whether a plugin of type `P` is installed.
    pub fn is_installed<P: ClientPlugin>(&self) -> bool {
        self.plugins.iter().any(|e| e.key == TypeId::of::<P>())
    }

    fn engine_config(&self) -> EngineConfig {
        let mut config = EngineConfig::default();
        for b in &self.engine {
            b(&mut config);
        }
        config
    }

    fn pipeline(&self) -> Result<PluginScope, ClientError> {
        let mut scope = PluginScope::default();
        for entry in &self.plugins {
            entry.install(&mut scope)?;
        }
        Ok(scope)
    }
}

type DefaultRequestBlock = Arc<dyn Fn(&mut DefaultRequestBuilder) + Send + Sync>;

/// What [`HttpClientConfig::default_request`] returns: the block is already installed (chained
/// onto earlier `DefaultRequest` blocks); [`replace`](Self::replace) can make it the only one.
pub struct DefaultRequestInstall<'a> {
    config: &'a mut HttpClientConfig,
    block: DefaultRequestBlock,
}

impl fmt::Debug for DefaultRequestInstall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultRequestInstall")
            .finish_non_exhaustive()
    }
}

impl DefaultRequestInstall<'_> {
    /// With `true`, discards the `DefaultRequest` blocks installed before this one (the parent's
    /// too, in a client derived with [`HttpClient::config`]), as
    /// [`install_or_replace`](HttpClientConfig::install_or_replace) does; `false` keeps them.
    pub fn replace(self, replace: bool) {
        if replace {
            let block = self.block;
            self.config
                .install_or_replace(DefaultRequest, move |d| block(d));
        }
    }
}

struct ClientInner {
    engine: Arc<Engine>,
    config: HttpClientConfig,
    pipeline: PluginScope,
}

/// An HTTP client; cheap to clone (clones share the engine and its pool). See the
/// [module docs](self).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<ClientInner>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("engine", &self.inner.engine)
            .field("config", &self.inner.config)
            .finish()
    }
}

macro_rules! methods {
    ($($(#[$doc:meta])* $name:ident $prepare:ident $method:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self, url: &str) -> HttpStatement {
            self.request(Method::$method, url)
        }
        $(#[$doc])*
        ///
        /// The same as the method without `prepare_`, named as Ktor names it.
        pub fn $prepare(&self, url: &str) -> HttpStatement {
            self.request(Method::$method, url)
        }
    )*};
}

impl HttpClient {
    /// A client with the default configuration.
    pub fn new() -> Result<Self, ClientError> {
        Self::configure(|_| {})
    }

    /// A client configured by `block` (what `http_client! { .. }` desugars to).
    pub fn configure(block: impl FnOnce(&mut HttpClientConfig)) -> Result<Self, ClientError> {
        let mut config = HttpClientConfig::default();
        block(&mut config);
        let engine = Arc::new(Engine::new(config.engine_config())?);
        let pipeline = config.pipeline()?;
        Ok(Self {
            inner: Arc::new(ClientInner {
                engine,
                config,
                pipeline,
            }),
        })
    }

    /// A client sharing this one's engine (pool, caps, runtime) with this one's plugins and config
    /// blocks, plus what `block` adds (Ktor's `HttpClient.config { .. }`).
    pub fn config(&self, block: impl FnOnce(&mut HttpClientConfig)) -> Result<Self, ClientError> {
        let mut config = self.inner.config.clone();
        block(&mut config);
        let pipeline = config.pipeline()?;
        Ok(Self {
            inner: Arc::new(ClientInner {
                engine: self.inner.engine.clone(),
                config,
                pipeline,
            }),
        })
    }

    /// The engine configuration in effect.
    pub fn engine_config(&self) -> &EngineConfig {
        &self.inner.engine.config
    }

    /// The runtime the engine's I/O and statement blocks run on.
    pub fn runtime_handle(&self) -> &tokio::runtime::Handle {
        &self.inner.engine.handle
    }

    /// Connections currently open (each holds a slot of `max_conn_total`).
    pub fn open_connections(&self) -> usize {
        self.inner.engine.limits.open_connections()
    }

    /// Whether plugin `P` is installed.
    pub fn is_installed<P: ClientPlugin>(&self) -> bool {
        self.inner.config.is_installed::<P>()
    }

    /// The client-wide attributes the installed plugins stored (Ktor's `HttpClient.attributes`;
    /// see [`PluginScope::attributes`](plugins::PluginScope::attributes)).
    pub fn attributes(&self) -> &Attributes {
        &self.inner.pipeline.attributes
    }

    /// A statement for `method` and `url` (absolute, or relative to `DefaultRequest`'s URL).
    pub fn request(&self, method: Method, url: &str) -> HttpStatement {
        HttpStatement::new(self.clone(), HttpRequestBuilder::new(method, url))
    }

    methods! {
        /// A `GET` statement; await it for the response.
        get prepare_get GET;
        /// A `POST` statement.
        post prepare_post POST;
        /// A `PUT` statement.
        put prepare_put PUT;
        /// A `DELETE` statement.
        delete prepare_delete DELETE;
        /// A `PATCH` statement.
        patch prepare_patch PATCH;
        /// A `HEAD` statement.
        head prepare_head HEAD;
        /// An `OPTIONS` statement.
        options prepare_options OPTIONS;
    }
}
