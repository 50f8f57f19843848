//! The application: the [`Plugin`] trait, installing plugins, mounting routes, and turning the
//! whole into the service the engine serves ([`AppService`]) or a plain [`axum::Router`].
//!
//! An [`Application`] is what Ktor calls the application module's receiver: plugins are installed
//! on it (`app.install(..)`), routes are added to it (`app.routing(..)`), and the engine serves it
//! as an [`AppService`]. Plugins are tower layers applied once around the whole router, before
//! routing ([`Application::layer`], see [`service`]), or engine hooks (see [`EngineHooks`]);
//! nothing is global.
//!
//! # Example
//! ```
//! use oxtor_runtime::{app::{Application, Plugin}, Result};
//! use axum::{middleware::map_response, response::Response, routing::get, Router};
//!
//! /// A plugin that adds `X-Powered-By: oxtor` to every response.
//! struct PoweredBy;
//!
//! async fn powered_by(mut res: Response) -> Response {
//!     res.headers_mut().insert("x-powered-by", http::HeaderValue::from_static("oxtor"));
//!     res
//! }
//!
//! impl<S: Clone + Send + Sync + 'static> Plugin<S> for PoweredBy {
//!     const NAME: &'static str = "PoweredBy";
//!     fn install(self, app: &mut Application<S>) -> Result<()> {
//!         app.layer(map_response(powered_by));
//!         Ok(())
//!     }
//! }
//!
//! let mut app = Application::new(());
//! app.install(PoweredBy).unwrap();
//! // Installing a plugin twice is an error naming it.
//! assert_eq!(app.install(PoweredBy).unwrap_err().to_string(), "plugin `PoweredBy` is already installed");
//! app.routing(Router::new().route("/", get(|| async { "hi" }))).unwrap();
//! // Plugin data: typed values a plugin stores on install and route checks read.
//! app.extensions_mut().insert(42u32);
//! assert_eq!(app.extensions().get::<u32>(), Some(&42));
//! let _router: Router = app.into_router();
//! ```
use std::{convert::Infallible, fmt};

use axum::{extract::Request, response::IntoResponse, Router};
use tower_layer::Layer;
use tower_service::Service;

pub mod service;

#[doc(inline)]
pub use service::{AppFuture, AppService};

use crate::{
    error::Error,
    routing::{
        direct::{DirectRoute, DirectRoutes},
        RouteContext, RouteTable, Routes, RoutesParts,
    },
    server::EngineHooks,
    Result,
};

/// A server plugin: a named piece of configuration that installs itself on an [`Application`].
///
/// Plugins are usually built with `install!(Name { .. })`, which desugars to
/// `Name::configure(|cfg| { .. })` returning `Result<Name, ConfigError>`; both that result and
/// the plugin itself can be passed to [`Application::install`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an oxtor plugin",
    note = "a plugin implements `oxtor::Plugin<S>`; build one with `install!(Plugin {{ .. }})`"
)]
pub trait Plugin<S = ()>: Sized {
    /// The plugin's name, used in errors (`plugin `Compression` is already installed`).
    const NAME: &'static str;

    /// Installs the plugin: adds layers ([`Application::layer`], or
    /// [`Application::layer_ignoring_content_length`] for a layer that never reads a response's
    /// `Content-Length`, as oxtor's own plugins are), engine hooks
    /// ([`Application::engine_hooks`]) or state.
    fn install(self, app: &mut Application<S>) -> Result<()>;
}

/// The result of configuring a plugin (what `install!(..)` returns) installs as the plugin, or
/// fails with the configuration error.
impl<S, P: Plugin<S>, E: Into<Error>> Plugin<S> for std::result::Result<P, E> {
    const NAME: &'static str = P::NAME;

    fn install(self, app: &mut Application<S>) -> Result<()> {
        self.map_err(Into::into)?.install(app)
    }
}

/// An app-wide layer, applied when the application is built.
type AppLayer = Box<dyn FnOnce(AppService) -> AppService + Send>;

/// An application under construction: state, installed plugins, routes and engine hooks.
///
/// See the [module docs](crate::app).
pub struct Application<S = ()> {
    state: S,
    router: Router<S>,
    /// The routes added through [`Routes`] that track them, for conflict checks.
    routes: RouteTable,
    /// The routes called without axum's routing (see [`crate::routing::direct`]).
    direct: Vec<DirectRoute<S>>,
    /// Ktor's `rootPath`, normalised (`/api`), if any.
    root_path: Option<String>,
    layers: Vec<AppLayer>,
    installed: Vec<&'static str>,
    hooks: EngineHooks,
    extensions: http::Extensions,
}

impl<S> fmt::Debug for Application<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("installed", &self.installed)
            .field("root_path", &self.root_path)
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> Application<S> {
    /// A new application whose handlers see `state` through `State<S>`.
    pub fn new(state: S) -> Self {
        Self {
            state,
            router: Router::new(),
            routes: RouteTable::default(),
            direct: Vec::new(),
            root_path: None,
            layers: Vec::new(),
            installed: Vec::new(),
            hooks: EngineHooks::default(),
            extensions: http::Extensions::new(),
        }
    }

    /// Installs a plugin, or the result of configuring one (`install!(..)`). Installing the same
    /// plugin twice is [`Error::DuplicatePlugin`].
    pub fn install<P: Plugin<S>>(&mut self, plugin: P) -> Result<()> {
        if self.is_installed(P::NAME) {
            return Err(Error::DuplicatePlugin(P::NAME));
        }
        plugin.install(self)?;
        self.installed.push(P::NAME);
        Ok(())
    }

    /// Whether a plugin of this name is installed.
    pub fn is_installed(&self, name: &str) -> bool {
        self.installed.contains(&name)
    }

    /// Wraps the whole application in a tower layer, once, outside routing: every call goes
    /// through it before routing — also one no route matches (404, 405) — as Ktor runs plugins
    /// before routing. Layers added first run first (outermost), as Ktor runs plugins in install
    /// order.
    ///
    /// The layer sees the request as the client sent it: a layer that rewrites its method or URI
    /// changes the route it reaches, and routing's extensions (axum's `MatchedPath`, URL
    /// parameters) are not there yet. Per call a layer costs one boxed future, nothing to clone
    /// (see [`AppService`]).
    pub fn layer<L>(&mut self, layer: L) -> &mut Self
    where
        L: Layer<AppService> + Send + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.layers
            .push(Box::new(move |service: AppService| service.layer(layer)));
        self
    }

    /// [`layer`](Self::layer), for a layer that never reads the `Content-Length` header of the
    /// responses it passes on and keeps their bodies' size, as oxtor's plugins do. When every
    /// app-wide layer is added this way, oxtor's engine leaves that header of a directly
    /// dispatched route's response to hyper, which writes it from the body's size (see
    /// [`AppService::layer_ignoring_content_length`]).
    ///
    /// ```
    /// use axum::{middleware::map_response, response::Response};
    /// use oxtor_runtime::Application;
    ///
    /// async fn tag(mut res: Response) -> Response {
    ///     res.headers_mut().insert("x-app", http::HeaderValue::from_static("1"));
    ///     res
    /// }
    ///
    /// let mut app = Application::new(());
    /// app.layer_ignoring_content_length(map_response(tag));
    /// ```
    pub fn layer_ignoring_content_length<L>(&mut self, layer: L) -> &mut Self
    where
        L: Layer<AppService> + Send + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.layers.push(Box::new(move |service: AppService| {
            service.layer_ignoring_content_length(layer)
        }));
        self
    }

    /// Serves every route under `path`, Ktor's `rootPath` (what `EngineMain` sets from
    /// `ktor.deployment.rootPath` or `-path=`): with `/api`, the route `/hello` answers
    /// `/api/hello` and `/hello` is 404. `""` and `/` mean no root; a root with a parameter or a
    /// wildcard is refused, as in Ktor. Routes are nested as `axum::Router::nest` nests them
    /// (a handler's `Uri` is without the root, `OriginalUri` with it); app-wide layers see every
    /// request. Can be called before or after [`routing`](Self::routing); the last call wins.
    /// Under a root, every route goes through axum's routing (no
    /// [direct dispatch](crate::routing::direct)).
    ///
    /// # Example
    /// ```
    /// use oxtor_runtime::Application;
    ///
    /// let mut app = Application::new(());
    /// app.set_root_path("api/")?;
    /// assert_eq!(app.root_path(), Some("/api"));
    /// app.set_root_path("/")?;
    /// assert_eq!(app.root_path(), None);
    /// # Ok::<(), oxtor_runtime::Error>(())
    /// ```
    pub fn set_root_path(&mut self, path: &str) -> Result<()> {
        self.root_path = crate::routing::root_path::normalise(path)
            .map_err(|message| crate::ConfigError::new(crate::config::keys::ROOT_PATH, message))?;
        Ok(())
    }

    /// The root path every route is served under ([`set_root_path`](Self::set_root_path)),
    /// normalised (`/api`), or `None`.
    pub fn root_path(&self) -> Option<&str> {
        self.root_path.as_deref()
    }

    /// The engine hooks plugins register (per-connection and per-request callbacks).
    pub fn engine_hooks(&mut self) -> &mut EngineHooks {
        &mut self.hooks
    }

    /// Typed per-application data plugins store on install (e.g. a registry of providers) and
    /// route checks read ([`RouteContext::extensions`]). One value per type; values are
    /// `Clone + Send + Sync + 'static` (share a big one behind an `Arc`).
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// Mutable access to the [plugin data](Self::extensions).
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.extensions
    }

    /// Adds routes: what `routing! { .. }` returns, or a plain `axum::Router`.
    ///
    /// First runs the start-up checks the routes' blocks attached
    /// ([`RouteCheck`](crate::routing::RouteCheck)), in order, against the application as it is
    /// now — so plugins are installed before `routing`, as in Ktor — and returns the first
    /// failure. Then refuses the routes with [`Error::RouteConflict`] if they conflict with each
    /// other ([`Routes::conflict`]) or with routes added before: the same method on the same path,
    /// or path templates axum cannot tell apart. Refused routes are not added. Routes given as a
    /// plain `axum::Router` are not known to this check: axum panics on their conflicts.
    pub fn routing(&mut self, routes: impl Into<Routes<S>>) -> Result<()> {
        let RoutesParts {
            router,
            checks,
            table,
            conflict,
            direct,
        } = routes.into().into_parts();
        let mut cx = RouteContext::new(&self.extensions, &self.installed);
        for check in checks {
            check(&mut cx)?;
        }
        if let Some(conflict) = conflict {
            return Err(conflict.into());
        }
        self.routes.add_all(None, &table)?;
        self.router = std::mem::take(&mut self.router).merge(router);
        self.direct.extend(direct);
        Ok(())
    }

    /// The application as a plain `axum::Router`, with its state applied and every installed
    /// layer around it (see [`AppService::into_router`]); `axum::serve` can serve it. Without
    /// app-wide layers it is the application's router itself; with some, the router's fallback
    /// is the [`AppService`] (to serve the application with `axum::serve`,
    /// [`into_service`](Self::into_service) saves that level). What oxtor's engine adds around
    /// it is not in it: under `axum::serve`, a handler that panics closes its connection
    /// (axum's behaviour) where the engine answers 500; install `StatusPages` (or tower-http's
    /// `CatchPanicLayer`) for a 500 there too.
    pub fn into_router(self) -> Router {
        self.into_service().into_router()
    }

    /// The application as the service oxtor's engine serves: the router with its state applied,
    /// every installed layer around it once. `axum::serve` can serve it too.
    pub fn into_service(self) -> AppService {
        self.into_parts().0
    }

    /// The service (as [`into_service`](Self::into_service)) and the engine hooks, for an
    /// engine.
    pub fn into_parts(self) -> (AppService, EngineHooks) {
        let mut service = match self.root_path {
            Some(root) => {
                AppService::new(Router::new().nest(&root, self.router.with_state(self.state)))
            }
            None => {
                let direct = DirectRoutes::build(self.direct, &self.state);
                AppService::routed(self.router.with_state(self.state), direct)
            }
        };
        for layer in self.layers.into_iter().rev() {
            service = layer(service);
        }
        (service, self.hooks)
    }
}

impl Default for Application<()> {
    fn default() -> Self {
        Self::new(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::routing::{get, MethodRouter};
    use http::Method;

    use super::*;
    use crate::routing::{mount, Route};

    /// `GET /hello`, as `#[route(GET, "/hello")]` would write it.
    struct Hello {}

    impl Route<(), ()> for Hello {
        const PATH: &'static str = "/hello";
        const METHODS: &'static [Method] = &[Method::GET];
        fn method_router(self) -> MethodRouter {
            get(|| async { "hi" })
        }
    }

    fn hello() -> Routes {
        mount(Routes::new(), Hello {})
    }

    #[test]
    fn a_route_already_added_is_a_route_conflict_naming_method_and_path() {
        let mut app = Application::new(());
        app.routing(hello()).expect("first routes");
        let err = app.routing(hello()).expect_err("same method and path");
        let Error::RouteConflict(conflict) = &err else {
            panic!("not a route conflict: {err:?}");
        };
        assert_eq!(
            (conflict.methods(), conflict.path()),
            (&[Method::GET][..], "/hello")
        );
        assert_eq!(
            err.to_string(),
            "cannot add routes: `GET /hello` is already routed"
        );
    }

    #[test]
    fn a_route_nested_onto_an_added_path_is_a_route_conflict() {
        let mut app = Application::new(());
        app.routing(Routes::new().nest("/api", hello()))
            .expect("first routes");
        let err = app
            .routing(Routes::new().nest("/api", Routes::new().merge(hello())))
            .expect_err("same method and nested path");
        assert_eq!(
            err.to_string(),
            "cannot add routes: `GET /api/hello` is already routed"
        );
        // The top-level `/hello` is another path.
        app.routing(hello()).expect("not nested");
    }

    #[test]
    fn route_checks_run_in_order_and_stop_at_the_first_failure() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (a, b, c) = (seen.clone(), seen.clone(), seen.clone());
        let routes = hello()
            .check(move |_| {
                a.lock().expect("lock").push("a");
                Ok(())
            })
            .check(move |_| {
                b.lock().expect("lock").push("b");
                Err(Error::RouteCheck("b failed".into()))
            })
            .check(move |_| {
                c.lock().expect("lock").push("c");
                Ok(())
            });
        let mut app = Application::new(());
        let err = app.routing(routes).expect_err("check b fails");
        assert_eq!(err.to_string(), "b failed");
        assert_eq!(*seen.lock().expect("lock"), ["a", "b"]);
        // Refused routes are not added: the same path still mounts.
        app.routing(hello()).expect("nothing was added");
    }

    #[test]
    fn route_checks_see_plugin_data_and_installed_plugins() {
        #[derive(Clone)]
        struct Registry(&'static str);
        struct Marker;
        impl Plugin<()> for Marker {
            const NAME: &'static str = "Marker";
            fn install(self, app: &mut Application<()>) -> Result<()> {
                app.extensions_mut().insert(Registry("basic"));
                Ok(())
            }
        }
        let check = |cx: &mut RouteContext<'_>| match cx.extensions().get::<Registry>() {
            Some(Registry(name)) if cx.installed("Marker") => {
                assert_eq!(*name, "basic");
                Ok(())
            }
            _ => Err(Error::RouteCheck("install Marker first".into())),
        };
        let mut app = Application::new(());
        let err = app.routing(hello().check(check));
        assert_eq!(
            err.expect_err("not installed").to_string(),
            "install Marker first"
        );
        app.install(Marker).expect("installs");
        app.routing(hello().check(check)).expect("installed now");
    }
}
