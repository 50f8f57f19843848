//! The client plugin mechanism (Ktor's `HttpClientConfig.install`): a [`ClientPlugin`] has a
//! config type and an install hook that registers [`on_request`](PluginScope::on_request) and
//! [`on_send`](PluginScope::on_send) hooks.
//!
//! Config blocks are **chained**: every `install` of a plugin appends its block and earlier
//! blocks run first. [`install_or_replace`](super::HttpClientConfig::install_or_replace) discards
//! the earlier blocks of that plugin and keeps its first install position. A client derived with
//! [`HttpClient::config`](super::HttpClient::config) copies the parent's plugins and blocks, so
//! `install` there adds to the parent's configuration.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{
//!     plugins::{ClientPlugin, ConfigBlocks, PluginScope},
//!     ClientError, HttpClient,
//! };
//!
//! /// Adds `User-Agent`.
//! struct UserAgent;
//! #[derive(Default)]
//! struct UserAgentConfig { agent: String }
//!
//! impl ClientPlugin for UserAgent {
//!     type Config = UserAgentConfig;
//!     const NAME: &'static str = "UserAgent";
//!     fn install(blocks: ConfigBlocks<UserAgentConfig>, scope: &mut PluginScope) -> Result<(), ClientError> {
//!         let agent = blocks.build().agent;
//!         scope.on_request(move |req| { req.headers(|h| { h.set("user-agent", &agent); }); Ok(()) });
//!         Ok(())
//!     }
//! }
//!
//! # fn main() -> Result<(), ClientError> {
//! let client = HttpClient::configure(|cfg| {
//!     cfg.install(UserAgent, |c| c.agent = "a".into());
//!     cfg.install(UserAgent, |c| c.agent.push('b')); // chained: "ab"
//! })?;
//! let child = client.config(|cfg| { cfg.install_or_replace(UserAgent, |c| c.agent = "c".into()); })?;
//! assert_eq!(client.get("/").prepared()?.headers_ref().get("user-agent"), Some("ab"));
//! assert_eq!(child.get("/").prepared()?.headers_ref().get("user-agent"), Some("c"));
//! # Ok(()) }
//! ```
#[cfg(feature = "client-auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "client-auth")))]
pub mod auth;
pub mod default_request;

use std::{any::Any, any::TypeId, fmt, future::Future, pin::Pin, sync::Arc};

use super::{
    body::HttpResponse,
    error::ClientError,
    request::{Attributes, HttpRequestBuilder},
    HttpClient,
};

/// A boxed future returned by [`SendInterceptor`]s.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A client plugin: a config type and an install hook.
pub trait ClientPlugin: 'static {
    /// The configuration the `install` blocks edit.
    type Config: Default + 'static;
    /// The plugin's name, for diagnostics.
    const NAME: &'static str;
    /// Installs the plugin: read the config from `blocks` (once, or per request) and register
    /// hooks on `scope`.
    fn install(
        blocks: ConfigBlocks<Self::Config>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError>;
}

type Block<C> = Arc<dyn Fn(&mut C) + Send + Sync>;

/// The chained config blocks of one plugin, in order.
pub struct ConfigBlocks<C> {
    blocks: Vec<Block<C>>,
}

impl<C> Clone for ConfigBlocks<C> {
    fn clone(&self) -> Self {
        Self {
            blocks: self.blocks.clone(),
        }
    }
}

impl<C> fmt::Debug for ConfigBlocks<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBlocks")
            .field("len", &self.blocks.len())
            .finish()
    }
}

impl<C> ConfigBlocks<C> {
    /// Runs every block on `config`, earliest first.
    pub fn apply(&self, config: &mut C) {
        for b in &self.blocks {
            b(config);
        }
    }
    /// A default config with every block applied.
    pub fn build(&self) -> C
    where
        C: Default,
    {
        let mut c = C::default();
        self.apply(&mut c);
        c
    }
}

/// Hooks run before a request is sent.
pub type OnRequest = Arc<dyn Fn(&mut HttpRequestBuilder) -> Result<(), ClientError> + Send + Sync>;

/// Wraps sending: may change the request, send it (several times), or answer itself (Ktor's
/// `HttpSend` interceptors, which the Auth plugin uses to retry).
///
/// Only [`intercept`](Self::intercept) is required; it returns a boxed future. An interceptor
/// that can usually decide without awaiting (the Auth plugin with a cached token) also
/// implements the **synchronous fast path**, which costs no box: [`prepare`](Self::prepare)
/// edits the request and answers [`Prepared::Forward`]; the request is then sent on at once, its
/// response head is shown to [`accepts`](Self::accepts), and only a response it does not accept
/// goes to [`rejected`](Self::rejected) (boxed), with the request as it was sent. The fast path
/// is taken for the last interceptor of the chain (the engine comes next); for the others, and
/// when `prepare` answers [`Prepared::Intercept`], `intercept` runs.
pub trait SendInterceptor: Send + Sync + 'static {
    /// Handles `request`; call `next.run(request)` to send it on.
    fn intercept(
        &self,
        request: HttpRequestBuilder,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>>;

    /// The synchronous fast path: edits `request` without awaiting and says whether it can be
    /// sent on as it is. With [`Prepared::Intercept`] (the default), [`intercept`](Self::intercept)
    /// gets the request as `prepare` left it.
    fn prepare(&self, request: &mut HttpRequestBuilder) -> Prepared {
        let _ = request;
        Prepared::Intercept
    }

    /// For a request `prepare` forwarded with `memo`: whether `response` goes back to the caller
    /// as it is (the default); `false` hands it to [`rejected`](Self::rejected).
    fn accepts(&self, memo: u64, response: &HttpResponse) -> bool {
        let _ = (memo, response);
        true
    }

    /// For a forwarded request whose response `accepts` refused: what the caller gets instead
    /// (default: that response). `request` is the request as it was sent.
    fn rejected(
        &self,
        memo: u64,
        request: HttpRequestBuilder,
        response: HttpResponse,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>> {
        let _ = (memo, request, next);
        Box::pin(std::future::ready(Ok(response)))
    }
}

/// What [`SendInterceptor::prepare`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// Send the request on now; its response goes to [`SendInterceptor::accepts`] with this
    /// memo (a value of the interceptor's own, e.g. what it sent).
    Forward(u64),
    /// Run [`SendInterceptor::intercept`].
    Intercept,
}

/// The rest of the send chain after an interceptor.
#[derive(Debug, Clone)]
pub struct Next {
    pub(crate) client: HttpClient,
    pub(crate) index: usize,
}

impl Next {
    /// Sends `request` through the remaining interceptors and the engine.
    // A block, not an `async fn`: an `async fn` would hold the request twice (its argument and
    // the binding it is moved into) in a future that is copied when it is boxed.
    #[allow(clippy::manual_async_fn)]
    pub fn run(
        self,
        mut request: HttpRequestBuilder,
    ) -> impl Future<Output = Result<HttpResponse, ClientError>> + Send + 'static {
        async move { self.client.send_from(&mut request, self.index).await }
    }
    /// Sends a copy of `request` on and keeps `request`, for an interceptor that may send it
    /// again (the Auth plugin's retry). Cheaper than `run(request.clone())`: when no interceptor
    /// follows, the engine copies only the method, headers and body. Nothing is sent before the
    /// returned future is polled.
    pub async fn send(&self, request: &HttpRequestBuilder) -> Result<HttpResponse, ClientError> {
        self.client.send_lent(request, self.index).await
    }
    /// The client the call runs on (to make extra calls, e.g. a token refresh).
    pub fn client(&self) -> &HttpClient {
        &self.client
    }
}

/// What a plugin registers while installing: hooks, interceptors, and client-wide attributes
/// (Ktor's `HttpClient.attributes`), readable with [`HttpClient::attributes`].
#[derive(Default, Clone)]
pub struct PluginScope {
    pub(crate) on_request: Vec<OnRequest>,
    pub(crate) interceptors: Vec<Arc<dyn SendInterceptor>>,
    pub(crate) attributes: Attributes,
}

impl fmt::Debug for PluginScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginScope")
            .field("on_request", &self.on_request.len())
            .field("interceptors", &self.interceptors.len())
            .field("attributes", &self.attributes)
            .finish()
    }
}

impl PluginScope {
    /// Registers a hook run on every request before it is sent, in install order.
    pub fn on_request(
        &mut self,
        hook: impl Fn(&mut HttpRequestBuilder) -> Result<(), ClientError> + Send + Sync + 'static,
    ) -> &mut Self {
        self.on_request.push(Arc::new(hook));
        self
    }
    /// Registers a send interceptor; the first installed is the outermost.
    pub fn on_send(&mut self, interceptor: impl SendInterceptor) -> &mut Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }
    /// The client's attributes: what a plugin stores here is readable from the built client with
    /// [`HttpClient::attributes`] (the Auth plugin keeps its providers there).
    pub fn attributes(&mut self) -> &mut Attributes {
        &mut self.attributes
    }
}

type ErasedBlock = Arc<dyn Any + Send + Sync>;
type Installer = fn(&[ErasedBlock], &mut PluginScope) -> Result<(), ClientError>;

/// One plugin's entry in a client config: its key, its blocks (type-erased) and its installer.
#[derive(Clone)]
pub(crate) struct PluginEntry {
    pub(crate) key: TypeId,
    pub(crate) name: &'static str,
    blocks: Vec<ErasedBlock>,
    install: Installer,
}

impl fmt::Debug for PluginEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginEntry")
            .field("name", &self.name)
            .field("blocks", &self.blocks.len())
            .finish()
    }
}

fn install_erased<P: ClientPlugin>(
    blocks: &[ErasedBlock],
    scope: &mut PluginScope,
) -> Result<(), ClientError> {
    let blocks = blocks
        .iter()
        .filter_map(|b| b.downcast_ref::<Block<P::Config>>().cloned())
        .collect();
    P::install(ConfigBlocks { blocks }, scope)
}

impl PluginEntry {
    pub(crate) fn new<P: ClientPlugin>() -> Self {
        Self {
            key: TypeId::of::<P>(),
            name: P::NAME,
            blocks: Vec::new(),
            install: install_erased::<P>,
        }
    }
    pub(crate) fn push<C: 'static>(&mut self, block: impl Fn(&mut C) + Send + Sync + 'static) {
        let block: Block<C> = Arc::new(block);
        self.blocks.push(Arc::new(block));
    }
    pub(crate) fn clear(&mut self) {
        self.blocks.clear();
    }
    pub(crate) fn install(&self, scope: &mut PluginScope) -> Result<(), ClientError> {
        (self.install)(&self.blocks, scope)
    }
}
