//! Errors of the runtime: [`Error`] for anything that stops an application from starting or
//! serving, [`ConfigError`] for a plugin or config value that was rejected.
//!
//! # Example
//! ```
//! use oxtor_runtime::{ConfigError, Error};
//!
//! let err = Error::from(ConfigError::new("Compression.zstd.level", "40 is not in 1..=22"));
//! assert_eq!(err.to_string(), "Compression.zstd.level: 40 is not in 1..=22");
//! // What `fn main() -> oxtor::Result<()>` prints after `Error: ` is the same message.
//! assert_eq!(format!("{err:?}"), "Compression.zstd.level: 40 is not in 1..=22");
//! ```
use std::fmt;

/// Result alias used across the runtime.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A configuration value that was rejected, with the path of its key
/// (`Compression.zstd.level: 40 is not in 1..=22`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The dotted path of the key, e.g. `Compression.zstd.level` or `ktor.deployment.port`;
    /// empty when the problem is not about one key (a syntax error, an unknown option).
    pub key: String,
    /// What is wrong with the value.
    pub message: String,
    /// The file the value came from, when it came from a file.
    pub file: Option<std::path::PathBuf>,
    /// The line in that file, when the parser reports it.
    pub line: Option<usize>,
}

impl ConfigError {
    /// A rejected value at `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
            file: None,
            line: None,
        }
    }

    /// Records the file (and line, if known) the value came from.
    #[must_use]
    pub fn in_file(mut self, file: impl Into<std::path::PathBuf>, line: Option<usize>) -> Self {
        self.file = Some(file.into());
        self.line = line;
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        // A problem with the file as a whole (a syntax error) has no key.
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Anything that stops an application from being built, started or served.
///
/// Its `Debug` form is its message, so that `fn main() -> oxtor::Result<()>` ends with
/// `Error: application.conf:3: ktor.deployment.port: "abc" is not a port number` rather than
/// the structure behind it; match on the variants for the details.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A plugin or config value was rejected.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The same plugin was installed twice on one application.
    #[error("plugin `{0}` is already installed")]
    DuplicatePlugin(&'static str),
    /// An I/O error, e.g. the port is taken.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Routes given to [`Application::routing`](crate::Application::routing) conflict with
    /// routes already there, or with each other: the same method on the same path, or path
    /// templates axum cannot tell apart.
    #[error("cannot add routes: {0}")]
    RouteConflict(#[from] crate::routing::RouteConflict),
    /// A second stream wrapper (e.g. a second TLS plugin) was installed on one engine.
    #[error("a stream wrapper is already installed on this engine")]
    StreamWrapperInstalled,
    /// The engine's accept task panicked or was cancelled.
    #[error("engine task failed: {0}")]
    EngineTask(#[source] tokio::task::JoinError),
    /// A start-up check of the routes given to
    /// [`Application::routing`](crate::Application::routing) failed (see
    /// [`RouteCheck`](crate::routing::RouteCheck)); the message says what is wrong.
    #[error("{0}")]
    RouteCheck(String),
    /// Any other error, with a message.
    #[error("{0}")]
    Other(String),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}
