//! Configuration: `application.conf` (HOCON) or `application.toml` with Ktor's keys, the command
//! line (`-config=`, `-port=`, `-host=`, `-path=`, `-P:key=value`), and [`EngineMain`], which
//! loads them all and runs an application module.
//!
//! A [`Config`] is a tree of keys read with dotted paths. Ktor's keys ([`keys`]) configure the
//! engine; an application reads its own keys the same way (`config.string("app.greeting")`).
//! Every typed getter returns `Ok(None)` for an absent key and a [`ConfigError`] naming the key,
//! the file and (where it can be located) the line for a value of the wrong kind:
//! `application.conf:3: ktor.deployment.port: "abc" is not a port number`.
//!
//! Sources, lowest priority first (later sources override earlier ones key by key):
//! 1. defaults given by the program ([`EngineMain::with_defaults`]);
//! 2. the config files: every `-config=FILE` in order, or else the first of `application.conf`,
//!    `application.toml` found in the working directory (HOCON for `.conf`/`.hocon`/`.json`,
//!    TOML for `.toml`);
//! 3. `-P:some.key=value`;
//! 4. `-host=`, `-port=`, `-sslPort=`, `-sslKeyStore=`, `-path=` (as in Ktor, where these options
//!    win over every config source).
//!
//! `ktor.deployment.rootPath` (`-path=/api`) serves every route under that prefix, as Ktor's
//! `rootPath` does: [`EngineMain`] sets it on the application before the module runs
//! ([`Application::set_root_path`](crate::Application::set_root_path)).
//!
//! HOCON files get the whole Lightbend spec through `hocon-parser`, including `${?ENV}`
//! substitution (`port = ${?PORT}` keeps the earlier value when `PORT` is unset). TOML files use
//! the same paths: `[ktor.deployment]` then `port = 8080`.
//!
//! # Example
//! ```
//! use oxtor_runtime::config::{keys, Config, EngineMain};
//! use std::time::Duration;
//!
//! let file = Config::from_hocon_str("application.conf", r#"
//!     ktor.deployment {
//!         port = 9090
//!         shutdownGracePeriod = 2s
//!     }
//!     app.greeting = "Hello"
//! "#)?;
//! assert_eq!(file.port(keys::PORT)?, Some(9090));
//! assert_eq!(file.string("app.greeting")?.as_deref(), Some("Hello"));
//!
//! // The command line overrides the file, `-P:` overrides everything.
//! let main = EngineMain::from_iter(["-port=9091", "-P:app.greeting=Hi"])?.with_defaults(file);
//! let server = main.server_config()?;
//! assert_eq!((server.host.as_str(), server.port), ("0.0.0.0", 9091));
//! assert_eq!(server.shutdown_grace_period, Duration::from_secs(2));
//! assert_eq!(main.config().string("app.greeting")?.as_deref(), Some("Hi"));
//!
//! // A bad value names the file, the line and the key.
//! let bad = Config::from_hocon_str("application.conf", "ktor.deployment.port = \"abc\"")?;
//! assert_eq!(
//!     bad.server_config().unwrap_err().to_string(),
//!     r#"application.conf:1: ktor.deployment.port: "abc" is not a port number"#,
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
use std::{collections::BTreeMap, path::Path, time::Duration};

use serde::de::DeserializeOwned;

use crate::{error::ConfigError, server::ServerConfig};

mod cli;
mod de;
mod engine_main;
mod hocon;
#[cfg(feature = "tls")]
mod ssl;
mod toml;
pub mod unread;
mod value;

#[doc(inline)]
pub use engine_main::{EngineMain, DEFAULT_CONFIG_FILES};
#[doc(inline)]
pub use value::{Origin, Value};

/// Ktor's configuration keys (`ConfigKeys`), as dotted paths.
pub mod keys {
    /// Host or IP to bind; default `0.0.0.0`. Command line `-host=`.
    pub const HOST: &str = "ktor.deployment.host";
    /// Port of the HTTP connector; default 8080. Command line `-port=`.
    pub const PORT: &str = "ktor.deployment.port";
    /// Port of the HTTPS connector. Command line `-sslPort=`.
    pub const SSL_PORT: &str = "ktor.deployment.sslPort";
    /// Path every route is served under (Ktor's `rootPath`; default none). Command line
    /// `-path=`. See [`Application::set_root_path`](crate::Application::set_root_path).
    pub const ROOT_PATH: &str = "ktor.deployment.rootPath";
    /// How long in-flight calls may run after shutdown starts: milliseconds, or a HOCON
    /// duration such as `10s`; default 10 s.
    pub const SHUTDOWN_GRACE_PERIOD: &str = "ktor.deployment.shutdownGracePeriod";
    /// Key store (PKCS#12, JKS, or PEM with chain and key) of the HTTPS connector. Command line `-sslKeyStore=`.
    pub const SSL_KEY_STORE: &str = "ktor.security.ssl.keyStore";
    /// Alias of the key in the key store; Ktor's default is `mykey`.
    pub const SSL_KEY_ALIAS: &str = "ktor.security.ssl.keyAlias";
    /// Password of the key store.
    pub const SSL_KEY_STORE_PASSWORD: &str = "ktor.security.ssl.keyStorePassword";
    /// Password of the private key.
    pub const SSL_PRIVATE_KEY_PASSWORD: &str = "ktor.security.ssl.privateKeyPassword";
    /// Trust store; when set, client certificates are verified.
    pub const SSL_TRUST_STORE: &str = "ktor.security.ssl.trustStore";
    /// Password of the trust store.
    pub const SSL_TRUST_STORE_PASSWORD: &str = "ktor.security.ssl.trustStorePassword";
    /// TLS protocol versions to enable, e.g. `["TLSv1.2", "TLSv1.3"]`.
    pub const SSL_ENABLED_PROTOCOLS: &str = "ktor.security.ssl.enabledProtocols";
    /// oxtor: whether a trust store makes client certificates `required` (default, as Ktor) or
    /// `optional`.
    pub const SSL_CLIENT_AUTH: &str = "ktor.security.ssl.clientAuth";
    /// oxtor: also reload the key and trust stores when their files change, checking at this
    /// interval (a duration such as `10s`); off by default. SIGHUP always reloads.
    pub const SSL_WATCH_INTERVAL: &str = "ktor.security.ssl.watchInterval";
    /// oxtor: how long a new connection may take to send its first request head (a duration;
    /// default `30s`; `0` waits forever). See
    /// [`ServerConfig::header_read_timeout`](crate::server::ServerConfig::header_read_timeout).
    pub const HEADER_READ_TIMEOUT: &str = "ktor.deployment.headerReadTimeout";
    /// oxtor: how long a connection with no call in flight stays open after its last response
    /// (a duration; default `60s`; `0` keeps it forever).
    pub const IDLE_TIMEOUT: &str = "ktor.deployment.idleTimeout";
    /// oxtor: the most connections open at once (default 10000; at least 1).
    pub const MAX_CONNECTIONS: &str = "ktor.deployment.maxConnections";
    /// oxtor: the largest request head in bytes, HTTP/1.1 and HTTP/2 (default 65536; at least
    /// 8192); larger is answered 431.
    pub const MAX_REQUEST_HEAD_SIZE: &str = "ktor.deployment.maxRequestHeadSize";
    /// oxtor: the most header lines of an HTTP/1.1 request (default 100; at least 1); more is
    /// answered 431.
    pub const MAX_HEADER_COUNT: &str = "ktor.deployment.maxHeaderCount";
    /// oxtor: the most concurrent HTTP/2 streams per connection (default 200; at least 1).
    pub const MAX_CONCURRENT_STREAMS: &str = "ktor.deployment.maxConcurrentStreams";
    /// oxtor: `true` serves in the thread-per-core mode, on [`WORKER_GROUP_SIZE`] worker
    /// threads with a listener each (default `false`). See
    /// [`ServerConfig::thread_per_core`](crate::server::ServerConfig::thread_per_core).
    pub const THREAD_PER_CORE: &str = "ktor.deployment.threadPerCore";
    /// Ktor's size of the engine's worker group: in the thread-per-core mode, how many worker
    /// threads serve (at least 1; default one per CPU the process may run on).
    pub const WORKER_GROUP_SIZE: &str = "ktor.deployment.workerGroupSize";
}

/// A tree of configuration keys, each remembering where it came from.
///
/// See the [module docs](crate::config).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    root: BTreeMap<String, Value>,
    /// Origin of every value set, by dotted path; a key without an entry inherits its
    /// nearest ancestor's.
    origins: BTreeMap<String, Origin>,
}

impl Config {
    /// An empty configuration: every key is absent.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads a file: HOCON for `.conf`, `.hocon` and `.json`, TOML for `.toml`. A file that
    /// cannot be read or parsed, or has another extension, is an error naming it.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        match path.extension().and_then(|e| e.to_str()) {
            Some("conf" | "hocon" | "json") => hocon::load_file(path, None),
            Some("toml") => toml::load_file(path),
            _ => Err(ConfigError::new(
                "",
                "unknown config file type: use `.conf` (HOCON) or `.toml`",
            )
            .in_file(path, None)),
        }
    }

    /// Parses HOCON text; `name` stands for the file in errors. `${?ENV}` reads the process
    /// environment.
    pub fn from_hocon_str(name: impl AsRef<Path>, text: &str) -> Result<Self, ConfigError> {
        hocon::parse_str(name.as_ref(), text, None)
    }

    /// Parses TOML text; `name` stands for the file in errors.
    pub fn from_toml_str(name: impl AsRef<Path>, text: &str) -> Result<Self, ConfigError> {
        toml::parse_str(name.as_ref(), text)
    }

    /// This configuration with `higher` on top: `higher`'s keys win, tables merge key by key.
    #[must_use]
    pub fn merge(mut self, higher: Config) -> Self {
        for path in higher.origins.keys() {
            // A value that replaces a table takes the table's origins with it.
            if !matches!(lookup(&higher.root, path), Some(Value::Table(_))) {
                let prefix = format!("{path}.");
                self.origins.retain(|p, _| !p.starts_with(&prefix));
            }
        }
        value::merge_tables(&mut self.root, higher.root);
        self.origins.extend(higher.origins);
        self
    }

    /// Sets `key` (a dotted path) to `value`, replacing whatever was there.
    pub fn set(&mut self, key: &str, value: Value) {
        self.set_with_origin(key, value, Origin::Code);
    }

    pub(crate) fn set_with_origin(&mut self, key: &str, value: Value, origin: Origin) {
        let mut layer = Config::new();
        let mut segments: Vec<&str> = key.split('.').collect();
        let Some(leaf) = segments.pop() else { return };
        let mut table = &mut layer.root;
        for segment in segments {
            table = match table
                .entry(segment.to_owned())
                .or_insert_with(|| Value::Table(BTreeMap::new()))
            {
                Value::Table(t) => t,
                _ => return,
            };
        }
        table.insert(leaf.to_owned(), value);
        layer.origins.insert(key.to_owned(), origin);
        *self = std::mem::take(self).merge(layer);
    }

    /// The value at `key` (a dotted path), if any. `null` reads as absent.
    pub fn value(&self, key: &str) -> Option<&Value> {
        lookup(&self.root, key).filter(|v| **v != Value::Null)
    }

    /// Whether `key` has a value.
    pub fn contains(&self, key: &str) -> bool {
        self.value(key).is_some()
    }

    /// Where the value at `key` came from.
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        let mut path = key;
        loop {
            if let Some(origin) = self.origins.get(path) {
                return Some(origin);
            }
            path = &path[..path.rfind('.')?];
        }
    }

    /// An error about the value at `key`, pointing at where it came from (file and line, or the
    /// command-line argument). Applications use it to reject their own settings.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let message = message.into();
        match self.origin(key) {
            Some(Origin::File { path, line }) => {
                ConfigError::new(key, message).in_file(path, *line)
            }
            Some(Origin::CommandLine(arg)) => {
                ConfigError::new(key, format!("{message} (command line `{arg}`)"))
            }
            Some(Origin::Code) | None => ConfigError::new(key, message),
        }
    }

    /// The string at `key`; numbers and booleans read as their text, as in Ktor.
    pub fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        self.scalar(key, "a string", |v| v.scalar_text())
    }

    /// The integer at `key`; a string holding an integer (from `${ENV}` or `-P:`) reads too.
    pub fn i64(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        self.scalar(key, "an integer", |v| match v {
            Value::Int(i) => Some(*i),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    }

    /// The non-negative integer at `key`.
    pub fn u64(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        self.scalar(key, "a non-negative integer", |v| match v {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    }

    /// The number at `key`.
    pub fn f64(&self, key: &str) -> Result<Option<f64>, ConfigError> {
        self.scalar(key, "a number", |v| match v {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    }

    /// The boolean at `key`: `true`/`false`, `yes`/`no`, `on`/`off`.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        self.scalar(key, "a boolean", |v| match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => value::parse_bool(s),
            _ => None,
        })
    }

    /// The port number (0..=65535) at `key`.
    pub fn port(&self, key: &str) -> Result<Option<u16>, ConfigError> {
        self.scalar(key, "a port number", |v| match v {
            Value::Int(i) => u16::try_from(*i).ok(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    }

    /// The duration at `key`: a number of milliseconds, or a HOCON duration such as `10s`,
    /// `500 ms`, `2 minutes`.
    pub fn duration(&self, key: &str) -> Result<Option<Duration>, ConfigError> {
        self.scalar(
            key,
            "a duration (milliseconds, or e.g. `10s`)",
            |v| match v {
                Value::Int(i) => u64::try_from(*i).ok().map(Duration::from_millis),
                Value::String(s) => value::parse_duration(s),
                _ => None,
            },
        )
    }

    /// The list of strings at `key`; a string reads as its comma-separated items, so
    /// `-P:key=a,b` can set a list.
    pub fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        match value {
            Value::List(items) => items
                .iter()
                .map(|item| {
                    item.scalar_text().ok_or_else(|| {
                        self.error(key, format!("{} is not a list of strings", item.kind()))
                    })
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Value::String(s) => Ok(Some(
                s.split(',')
                    .map(|item| item.trim().to_owned())
                    .filter(|item| !item.is_empty())
                    .collect(),
            )),
            other => Err(self.error(key, format!("{other} is not a list of strings"))),
        }
    }

    /// The value at `key` deserialized into `T` (a table into a struct, say). Strings read as
    /// the numbers and booleans `T` asks for, as the typed getters do, so `-P:` and `${ENV}`
    /// values fit numeric fields.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        T::deserialize(de::ValueDeserializer::new(value, key))
            .map(Some)
            .map_err(|e| self.error(e.path.as_deref().unwrap_or(key), e.message))
    }

    /// The application's root path from [`keys::ROOT_PATH`] (`-path=`), normalised as
    /// [`Application::set_root_path`](crate::Application::set_root_path) normalises it (`/api`),
    /// `None` when unset, empty or `/`; a root with a parameter or a wildcard is an error
    /// naming the key and the file.
    pub fn root_path(&self) -> Result<Option<String>, ConfigError> {
        match self.string(keys::ROOT_PATH)? {
            Some(path) => crate::routing::root_path::normalise(&path)
                .map_err(|message| self.error(keys::ROOT_PATH, message)),
            None => Ok(None),
        }
    }

    /// The engine's settings from Ktor's keys: host (default `0.0.0.0`), port (default 8080),
    /// shutdown grace period (default 10 s), and oxtor's bounds ([`keys::HEADER_READ_TIMEOUT`]
    /// and the keys after it; defaults in [`ServerConfig`]). Also checks `sslPort` so a bad
    /// value stops the start-up here, not later.
    pub fn server_config(&self) -> Result<ServerConfig, ConfigError> {
        let defaults = ServerConfig::default();
        let host = match self.string(keys::HOST)? {
            Some(host) if host.trim().is_empty() || host.contains(char::is_whitespace) => {
                return Err(self.error(keys::HOST, format!("{host:?} is not a host name")));
            }
            Some(host) => host,
            None => defaults.host,
        };
        let port = self.port(keys::PORT)?.unwrap_or(defaults.port);
        self.port(keys::SSL_PORT)?;
        let shutdown_grace_period = self
            .duration(keys::SHUTDOWN_GRACE_PERIOD)?
            .unwrap_or(defaults.shutdown_grace_period);
        let timeout = |key, default| {
            Ok::<_, ConfigError>(match self.duration(key)? {
                Some(d) if d.is_zero() => None,
                Some(d) => Some(d),
                None => default,
            })
        };
        Ok(ServerConfig {
            host,
            port,
            shutdown_grace_period,
            header_read_timeout: timeout(keys::HEADER_READ_TIMEOUT, defaults.header_read_timeout)?,
            idle_timeout: timeout(keys::IDLE_TIMEOUT, defaults.idle_timeout)?,
            max_connections: self
                .at_least(keys::MAX_CONNECTIONS, 1)?
                .unwrap_or(defaults.max_connections),
            max_request_head_size: self
                .at_least(keys::MAX_REQUEST_HEAD_SIZE, 8192)?
                .unwrap_or(defaults.max_request_head_size),
            max_header_count: self
                .at_least(keys::MAX_HEADER_COUNT, 1)?
                .unwrap_or(defaults.max_header_count),
            max_concurrent_streams: match self.at_least(keys::MAX_CONCURRENT_STREAMS, 1)? {
                Some(n) => u32::try_from(n).map_err(|_| {
                    self.error(keys::MAX_CONCURRENT_STREAMS, format!("{n} is too large"))
                })?,
                None => defaults.max_concurrent_streams,
            },
            thread_per_core: self.thread_per_core()?,
        })
    }

    /// `threadPerCore` and `workerGroupSize`: how many workers, if the mode is on.
    fn thread_per_core(&self) -> Result<Option<std::num::NonZeroUsize>, ConfigError> {
        // Read (and checked) even when the mode is off, so a bad value is never silent.
        let workers = self.at_least(keys::WORKER_GROUP_SIZE, 1)?;
        if self.bool(keys::THREAD_PER_CORE)? != Some(true) {
            return Ok(None);
        }
        Ok(Some(
            workers
                .and_then(std::num::NonZeroUsize::new)
                .unwrap_or_else(crate::server::config::cpus),
        ))
    }

    /// The count at `key`, checked against its floor.
    fn at_least(&self, key: &str, min: usize) -> Result<Option<usize>, ConfigError> {
        let Some(n) = self.u64(key)? else {
            return Ok(None);
        };
        match usize::try_from(n) {
            Ok(n) if n >= min => Ok(Some(n)),
            _ => Err(self.error(key, format!("{n} is out of range (at least {min})"))),
        }
    }

    fn scalar<T>(
        &self,
        key: &str,
        expected: &str,
        read: impl FnOnce(&Value) -> Option<T>,
    ) -> Result<Option<T>, ConfigError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        read(value)
            .map(Some)
            .ok_or_else(|| self.error(key, format!("{value} is not {expected}")))
    }

    pub(crate) fn from_parts(
        root: BTreeMap<String, Value>,
        origins: BTreeMap<String, Origin>,
    ) -> Self {
        Self { root, origins }
    }
}

fn lookup<'a>(root: &'a BTreeMap<String, Value>, key: &str) -> Option<&'a Value> {
    let mut segments = key.split('.');
    let mut current = root.get(segments.next()?)?;
    for segment in segments {
        match current {
            Value::Table(t) => current = t.get(segment)?,
            _ => return None,
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests;
