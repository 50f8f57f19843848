//! [`EngineMain`]: Ktor's `EngineMain.main(args)` — load the configuration from the files and the
//! command line, check it, build the application with a module, serve it.
use std::path::{Path, PathBuf};

use super::{cli, keys, Config};
#[cfg(feature = "tls")]
use crate::server::tls::Tls;
use crate::{
    app::Application,
    error::ConfigError,
    server::{Connector, RunningServer, Server, ServerConfig},
    Result,
};

/// The files looked for in the working directory when no `-config=` is given, in order; the
/// first one found is loaded.
pub const DEFAULT_CONFIG_FILES: [&str; 2] = ["application.conf", "application.toml"];

/// Loads the configuration (files, command line, defaults) and runs an application module on the
/// engine (Ktor's `EngineMain`).
///
/// Every configuration error — a file that does not parse, a bad value, an unknown option — is
/// reported by [`from_args`](Self::from_args)/[`from_iter`](Self::from_iter) or, at the latest,
/// by [`run`](Self::run) before the module is built and before anything binds. A Ktor key
/// oxtor does not read (misspelt, or a JVM engine setting) is logged as a warning when the
/// server starts ([`Config::unread_ktor_keys`]).
///
/// See the [module docs](crate::config).
///
/// # Example
/// ```
/// use oxtor_runtime::{config::{Config, EngineMain}, testing::TestApplication};
/// use axum::{routing::get, Router};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
/// let defaults = Config::from_hocon_str("defaults", "ktor.deployment.host = 127.0.0.1")?;
/// let main = EngineMain::from_iter(["-port=0", "-P:app.greeting=Hi"])?.with_defaults(defaults);
/// let server = main
///     .start(|app, config| {
///         let greeting = config.string("app.greeting")?.unwrap_or_else(|| "Hello".into());
///         app.routing(Router::new().route("/", get(move || async move { greeting })))
///     })
///     .await?;
/// let body = reqwest::get(format!("http://{}/", server.local_addr())).await.map_err(|e| {
///     oxtor_runtime::Error::Other(e.to_string())
/// })?.text().await.map_err(|e| oxtor_runtime::Error::Other(e.to_string()))?;
/// assert_eq!(body, "Hi");
/// server.shutdown().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct EngineMain {
    /// Files, command line and defaults merged, in priority order.
    config: Config,
    /// The layers above the defaults, kept to re-merge when defaults are added.
    layers: Config,
    files: Vec<PathBuf>,
}

impl EngineMain {
    /// Loads the configuration for the command line of this process (`std::env::args`).
    pub fn from_args() -> Result<Self> {
        Self::from_iter(std::env::args().skip(1))
    }

    /// Loads the configuration for these arguments (without the program name), searching the
    /// working directory for [`DEFAULT_CONFIG_FILES`] when no `-config=` is given.
    #[allow(clippy::should_implement_trait)]
    pub fn from_iter<I, A>(args: I) -> Result<Self>
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        Self::from_iter_in(args, Path::new("."))
    }

    /// As [`from_iter`](Self::from_iter), searching `dir` instead of the working directory
    /// (relative `-config=` files stay relative to the working directory).
    pub fn from_iter_in<I, A>(args: I, dir: &Path) -> Result<Self>
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        let cli = cli::parse(args)?;
        let files = if cli.config_files.is_empty() {
            DEFAULT_CONFIG_FILES
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.is_file())
                .map(|path| path.strip_prefix(".").map(Path::to_owned).unwrap_or(path))
                .into_iter()
                .collect()
        } else {
            cli.config_files
        };
        let mut layers = Config::new();
        for file in &files {
            layers = layers.merge(Config::load(file)?);
        }
        // `-port=`, `-host=`, `-sslPort=`, `-sslKeyStore=` and `-path=` win over every config
        // source, `-P:` included, as in Ktor's `CommandLine.kt` (`argumentsMap["-port"] ?: config`).
        let layers = layers.merge(cli.properties).merge(cli.deployment);
        layers.server_config()?;
        layers.root_path()?;
        Ok(Self {
            config: layers.clone(),
            layers,
            files,
        })
    }

    /// Puts `defaults` under everything loaded (the program's embedded `application.conf`, say):
    /// a key set by a file or the command line wins.
    #[must_use]
    pub fn with_defaults(mut self, defaults: Config) -> Self {
        self.config = defaults.merge(self.layers.clone());
        self
    }

    /// The merged configuration, for reading the application's own keys.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The config files that were loaded, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The engine's settings (see [`Config::server_config`]).
    pub fn server_config(&self) -> Result<ServerConfig> {
        Ok(self.config.server_config()?)
    }

    /// Checks the configuration, builds `Application::new(())` with `module` (its
    /// [root path](Application::set_root_path) set from `ktor.deployment.rootPath` or `-path=`
    /// first), binds and starts serving in the background.
    pub async fn start<F>(self, module: F) -> Result<RunningServer>
    where
        F: FnOnce(&mut Application<()>, &Config) -> Result<()>,
    {
        self.start_with_state((), module).await
    }

    /// As [`start`](Self::start), for an application with state `S`.
    pub async fn start_with_state<S, F>(self, state: S, module: F) -> Result<RunningServer>
    where
        S: Clone + Send + Sync + 'static,
        F: FnOnce(&mut Application<S>, &Config) -> Result<()>,
    {
        self.server(state, module)?.start().await
    }

    /// Checks the configuration, builds `Application::new(())` with `module`, serves until
    /// SIGINT/SIGTERM, then shuts down gracefully (Ktor's `EngineMain.main`).
    pub async fn run<F>(self, module: F) -> Result<()>
    where
        F: FnOnce(&mut Application<()>, &Config) -> Result<()>,
    {
        self.run_with_state((), module).await
    }

    /// As [`run`](Self::run), for an application with state `S`.
    pub async fn run_with_state<S, F>(self, state: S, module: F) -> Result<()>
    where
        S: Clone + Send + Sync + 'static,
        F: FnOnce(&mut Application<S>, &Config) -> Result<()>,
    {
        self.server(state, module)?.run().await
    }

    /// The engine's listeners, as Ktor makes them: a plain one on `ktor.deployment.port`, a TLS
    /// one on `sslPort` with the `ktor.security.ssl.*` stores (read and checked here, so nothing
    /// listens half-configured), or both. Neither set is Ktor's start-up error.
    pub fn connectors(&self) -> Result<Vec<Connector>> {
        let config = &self.config;
        let host = config.server_config()?.host;
        let port = config.port(keys::PORT)?;
        let ssl_port = config.port(keys::SSL_PORT)?;
        let mut connectors = Vec::with_capacity(2);
        if let Some(port) = port {
            connectors.push(Connector::http(host.clone(), port));
        }
        if let Some(ssl_port) = ssl_port {
            connectors.push(self.https(host, ssl_port)?);
        }
        if connectors.is_empty() {
            return Err(ConfigError::new(
                "",
                "Neither port nor sslPort specified. Use command line options -port/-sslPort or \
                 configure connectors in application.conf",
            )
            .into());
        }
        Ok(connectors)
    }

    #[cfg(feature = "tls")]
    fn https(&self, host: String, ssl_port: u16) -> Result<Connector> {
        let settings = self.config.tls_settings()?.ok_or_else(|| {
            ConfigError::new(keys::SSL_PORT, "sslPort is set but could not be read")
        })?;
        let tls = Tls::load(settings).map_err(|e| self.config.tls_error(e))?;
        Ok(Connector::https(host, ssl_port, tls))
    }

    #[cfg(not(feature = "tls"))]
    fn https(&self, _host: String, _ssl_port: u16) -> Result<Connector> {
        Err(self
            .config
            .error(
                keys::SSL_PORT,
                "serving HTTPS needs oxtor's `tls` cargo feature",
            )
            .into())
    }

    fn server<S, F>(self, state: S, module: F) -> Result<Server>
    where
        S: Clone + Send + Sync + 'static,
        F: FnOnce(&mut Application<S>, &Config) -> Result<()>,
    {
        let server_config = self.server_config()?;
        let root_path = self.config.root_path()?;
        let connectors = self.connectors()?;
        tracing::info!(files = ?self.files, host = %server_config.host, root_path = ?root_path, connectors = ?connectors.iter().map(|c| (c.port(), c.is_secure())).collect::<Vec<_>>(), "configuration loaded");
        for unread in self.config.unread_ktor_keys() {
            tracing::warn!("{unread}");
        }
        #[cfg(feature = "tls")]
        for connector in &connectors {
            if let Some(tls) = &connector.tls {
                tls.spawn_reloader();
            }
        }
        let mut app = Application::new(state);
        if let Some(root) = root_path {
            app.set_root_path(&root)?;
        }
        module(&mut app, &self.config)?;
        Ok(Server::new(app, server_config).connectors(connectors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_and_no_arguments_gives_the_engine_defaults() {
        let dir = std::env::temp_dir().join(format!("oxtor-config-empty-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let main = EngineMain::from_iter_in(Vec::<String>::new(), &dir);
        let server = main.and_then(|m| m.server_config());
        let server = server.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((server.host.as_str(), server.port), ("0.0.0.0", 8080));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn defaults_sit_under_the_command_line() {
        let defaults =
            Config::from_hocon_str("d", "ktor.deployment { host = 127.0.0.1, port = 1 }")
                .unwrap_or_default();
        let main = EngineMain::from_iter(["-port=2"])
            .map(|m| m.with_defaults(defaults))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(main.config().port(keys::PORT).ok(), Some(Some(2)));
        assert_eq!(
            main.config().string(keys::HOST).ok().flatten().as_deref(),
            Some("127.0.0.1")
        );
    }
}
