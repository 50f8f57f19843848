//! [`CompressionConfig`]: one builder method per Ktor key, validated when
//! [`Compression::configure`](super::Compression::configure) runs.
use std::{fmt, sync::Arc};

use http::{HeaderMap, HeaderValue, Uri};

use super::{
    codec::{ContentEncoder, Identity, Opaque, SharedEncoder},
    predicate::{CompressionCall, Conditions, MediaRange},
};
use crate::ConfigError;

/// Which directions the plugin handles. Ktor's `CompressionConfig.Mode`; the default is
/// [`All`](Self::All), as in Ktor's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompressionMode {
    /// Compress responses only; request bodies are passed through as sent.
    CompressResponse,
    /// Decode request bodies only; responses are sent as the handler produced them.
    DecompressRequest,
    /// Both.
    #[default]
    All,
}

impl CompressionMode {
    pub(crate) fn response(self) -> bool {
        matches!(self, Self::CompressResponse | Self::All)
    }
    pub(crate) fn request(self) -> bool {
        matches!(self, Self::DecompressRequest | Self::All)
    }
}

/// The default cap on a decoded request body: 8 MiB.
pub const DEFAULT_MAX_DECODED_SIZE: usize = 8 * 1024 * 1024;

/// Adds the condition builder methods shared by [`CompressionConfig`] and [`EncoderConfig`].
macro_rules! condition_methods {
    () => {
        /// Compresses only bodies of at least `bytes` bytes; a body whose length is not known
        /// (a stream) passes. Ktor's `minimumSize`.
        pub fn minimum_size(&mut self, bytes: u64) -> &mut Self {
            self.conditions.minimum_size = Some(bytes);
            self
        }

        /// Compresses only responses whose `Content-Type` is in `range` (`text/*`). Calls
        /// accumulate: a response matching any of the ranges passes; one without a
        /// `Content-Type` does not. Ktor's `matchContentType`.
        pub fn match_content_type(&mut self, range: &str) -> &mut Self {
            let key = format!("{}.match_content_type", self.path);
            match MediaRange::parse(&key, range) {
                Ok(r) => self.conditions.match_types.push(r),
                Err(e) => self.errors.push(e),
            }
            self
        }

        /// Never compresses responses whose `Content-Type` is in `range`. Calls accumulate.
        /// Ktor's `excludeContentType`.
        pub fn exclude_content_type(&mut self, range: &str) -> &mut Self {
            let key = format!("{}.exclude_content_type", self.path);
            match MediaRange::parse(&key, range) {
                Ok(r) => self.conditions.exclude_types.push(r),
                Err(e) => self.errors.push(e),
            }
            self
        }

        /// Compresses only when `condition` returns `true` for the call. Calls accumulate (all
        /// must pass). Ktor's `condition { .. }`.
        pub fn condition<F>(&mut self, condition: F) -> &mut Self
        where
            F: Fn(&CompressionCall<'_>) -> bool + Send + Sync + 'static,
        {
            self.conditions.custom.push(Arc::new(condition));
            self
        }
    };
}

/// One registered coding: its level, priority and conditions. What `zstd { .. }`,
/// `gzip { .. }`, `encoder("name", e) { .. }` configure.
///
/// See the [module docs](crate::plugins::compression).
pub struct EncoderConfig {
    path: String,
    pub(crate) name: String,
    pub(crate) encoder: SharedEncoder,
    pub(crate) level: Option<i32>,
    pub(crate) priority: f64,
    pub(crate) conditions: Conditions,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for EncoderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncoderConfig")
            .field("name", &self.name)
            .field("encoder", &Opaque("dyn ContentEncoder"))
            .field("level", &self.level)
            .field("priority", &self.priority)
            .field("conditions", &self.conditions)
            .finish()
    }
}

impl EncoderConfig {
    fn new(name: &str, encoder: SharedEncoder, priority: f64) -> Self {
        Self {
            path: format!("Compression.{name}"),
            name: name.to_ascii_lowercase(),
            level: encoder.default_level(),
            encoder,
            priority,
            conditions: Conditions::default(),
            errors: Vec::new(),
        }
    }

    /// The compression level, checked against the coding's range (`1..=22` for zstd).
    pub fn level(&mut self, level: i32) -> &mut Self {
        match self.encoder.levels() {
            Some(range) if range.contains(&level) => self.level = Some(level),
            Some(range) => self.errors.push(ConfigError::new(
                format!("{}.level", self.path),
                format!("{level} is not in {}..={}", range.start(), range.end()),
            )),
            None => self.errors.push(ConfigError::new(
                format!("{}.level", self.path),
                format!("`{}` has no compression levels", self.name),
            )),
        }
        self
    }

    /// Alias of [`level`](Self::level), as the seed writes it (`compression_level = 3`).
    pub fn compression_level(&mut self, level: i32) -> &mut Self {
        self.level(level)
    }

    /// Breaks ties between codings the client accepts with the same `q`: higher wins.
    pub fn priority(&mut self, priority: f64) -> &mut Self {
        if priority.is_finite() {
            self.priority = priority;
        } else {
            self.errors.push(ConfigError::new(
                format!("{}.priority", self.path),
                format!("{priority} is not a finite number"),
            ));
        }
        self
    }

    condition_methods!();
}

/// The configuration of [`Compression`](super::Compression): codings, conditions, mode and the
/// request-decoding cap. Built by `install!(Compression { .. })` or
/// [`Compression::configure`](super::Compression::configure).
///
/// See the [module docs](crate::plugins::compression).
pub struct CompressionConfig {
    path: String,
    pub(crate) encoders: Vec<EncoderConfig>,
    pub(crate) conditions: Conditions,
    pub(crate) mode: CompressionMode,
    pub(crate) max_decoded_size: usize,
    pub(crate) compress_event_streams: bool,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for CompressionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompressionConfig")
            .field("encoders", &self.encoders)
            .field("conditions", &self.conditions)
            .field("mode", &self.mode)
            .field("max_decoded_size", &self.max_decoded_size)
            .field("compress_event_streams", &self.compress_event_streams)
            .finish()
    }
}

impl Default for CompressionConfig {
    fn default() -> Self {
        Self {
            path: "Compression".to_owned(),
            encoders: Vec::new(),
            conditions: Conditions::default(),
            mode: CompressionMode::All,
            max_decoded_size: DEFAULT_MAX_DECODED_SIZE,
            compress_event_streams: false,
            errors: Vec::new(),
        }
    }
}

impl CompressionConfig {
    fn register(
        &mut self,
        name: &str,
        encoder: SharedEncoder,
        priority: f64,
        f: impl FnOnce(&mut EncoderConfig),
    ) -> &mut Self {
        let valid_token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_token {
            self.errors.push(ConfigError::new(
                "Compression.encoder",
                format!("`{name}` is not a valid content-coding name"),
            ));
            return self;
        }
        let lower = name.to_ascii_lowercase();
        if self.encoders.iter().any(|e| e.name == lower) {
            self.errors.push(ConfigError::new(
                format!("Compression.{name}"),
                format!("encoder `{name}` is already registered"),
            ));
            return self;
        }
        let mut cfg = EncoderConfig::new(name, encoder, priority);
        f(&mut cfg);
        self.errors.append(&mut cfg.errors);
        self.encoders.push(cfg);
        self
    }

    /// Registers a coding of the user's: `name` is its `Content-Encoding` token. Registering a
    /// name twice is an error. Ktor's `encoder(ContentEncoder) { .. }`.
    pub fn encoder<E, F>(&mut self, name: &str, encoder: E, f: F) -> &mut Self
    where
        E: ContentEncoder,
        F: FnOnce(&mut EncoderConfig),
    {
        self.register(name, Arc::new(encoder), 1.0, f)
    }

    /// Registers `zstd` (priority 1.0, level 3).
    #[cfg(feature = "compression-zstd")]
    #[cfg_attr(docsrs, doc(cfg(feature = "compression-zstd")))]
    pub fn zstd(&mut self, f: impl FnOnce(&mut EncoderConfig)) -> &mut Self {
        self.register("zstd", Arc::new(super::codec::Zstd), 1.0, f)
    }

    /// Registers `gzip` (priority 1.0, level 6).
    #[cfg(feature = "compression-gzip")]
    #[cfg_attr(docsrs, doc(cfg(feature = "compression-gzip")))]
    pub fn gzip(&mut self, f: impl FnOnce(&mut EncoderConfig)) -> &mut Self {
        self.register("gzip", Arc::new(super::codec::Gzip), 1.0, f)
    }

    /// Registers `deflate`, zlib-wrapped as RFC 9110 defines it (priority 0.9, level 6).
    #[cfg(feature = "compression-gzip")]
    #[cfg_attr(docsrs, doc(cfg(feature = "compression-gzip")))]
    pub fn deflate(&mut self, f: impl FnOnce(&mut EncoderConfig)) -> &mut Self {
        self.register("deflate", Arc::new(super::codec::Deflate), 0.9, f)
    }

    /// Registers `br` (priority 1.0, level 4).
    #[cfg(feature = "compression-br")]
    #[cfg_attr(docsrs, doc(cfg(feature = "compression-br")))]
    pub fn brotli(&mut self, f: impl FnOnce(&mut EncoderConfig)) -> &mut Self {
        self.register("br", Arc::new(super::codec::Brotli), 1.0, f)
    }

    /// Registers `identity` (priority 1.0), so that `Accept-Encoding: *` may resolve to it and
    /// its priority and conditions take part in negotiation. Selecting it sends the body as is.
    pub fn identity(&mut self, f: impl FnOnce(&mut EncoderConfig)) -> &mut Self {
        self.register("identity", Arc::new(Identity), 1.0, f)
    }

    /// Which directions to handle (default [`CompressionMode::All`]).
    pub fn mode(&mut self, mode: CompressionMode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// The most a decoded request body may grow to (default 8 MiB). A larger one makes the body
    /// fail with a length-limit error, which axum's extractors answer with 413.
    pub fn max_decoded_size(&mut self, bytes: usize) -> &mut Self {
        self.max_decoded_size = bytes;
        self
    }

    /// Compresses `text/event-stream` responses too (default off, as in Ktor). A single
    /// response can opt in with [`CompressEventStream`](super::CompressEventStream) instead.
    pub fn compress_event_streams(&mut self, enabled: bool) -> &mut Self {
        self.compress_event_streams = enabled;
        self
    }

    condition_methods!();

    /// Validates the configuration: the first error recorded by a builder method, if any.
    pub(crate) fn validate(&mut self) -> Result<(), ConfigError> {
        match self.errors.drain(..).next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A registered coding ready to serve: what [`EncoderConfig`] compiles to.
pub(crate) struct Registered {
    pub(crate) name: String,
    pub(crate) header: HeaderValue,
    pub(crate) encoder: SharedEncoder,
    pub(crate) level: Option<i32>,
    pub(crate) priority: f64,
    pub(crate) conditions: Conditions,
    /// Whether `conditions` are the defaults (evaluated once per response for all such codings).
    pub(crate) default_conditions: bool,
    pub(crate) identity: bool,
}

/// The validated configuration every request shares.
pub(crate) struct Settings {
    pub(crate) encoders: Vec<Registered>,
    pub(crate) conditions: Conditions,
    /// Ktor's default conditions, for the codings that have no conditions of their own.
    pub(crate) defaults: Conditions,
    pub(crate) mode: CompressionMode,
    pub(crate) max_decoded_size: usize,
    pub(crate) compress_event_streams: bool,
    /// Whether a user condition may read the request URI and headers (then they are kept).
    pub(crate) needs_request: bool,
    /// No coding may encode a body of known length shorter than this: the global
    /// `minimum_size`, or the smallest of the codings' own (`u64::MAX` without codings). Such a
    /// response is sent as is without looking further (not even at its `Content-Type`).
    pub(crate) min_length: u64,
    /// The URI (`/`) and request headers (none) a condition sees when no user condition reads
    /// the request (so they were not kept).
    pub(crate) no_uri: Uri,
    pub(crate) no_headers: HeaderMap,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field(
                "encoders",
                &self.encoders.iter().map(|e| &e.name).collect::<Vec<_>>(),
            )
            .field("mode", &self.mode)
            .field("max_decoded_size", &self.max_decoded_size)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Compiles a validated config. No encoder configured means every built-in coding compiled
    /// in (zstd, br, gzip, deflate), as Ktor's `default()` registers gzip and deflate.
    pub(crate) fn new(mut cfg: CompressionConfig) -> Result<Self, ConfigError> {
        if cfg.encoders.is_empty() {
            #[cfg(feature = "compression-zstd")]
            cfg.zstd(|_| {});
            #[cfg(feature = "compression-br")]
            cfg.brotli(|_| {});
            #[cfg(feature = "compression-gzip")]
            cfg.gzip(|_| {}).deflate(|_| {});
        }
        cfg.validate()?;
        let global_empty = cfg.conditions.is_empty();
        let mut needs_request = !cfg.conditions.custom.is_empty();
        let encoders = cfg
            .encoders
            .into_iter()
            .map(|e| {
                needs_request |= !e.conditions.custom.is_empty();
                let default_conditions = global_empty && e.conditions.is_empty();
                let conditions = if default_conditions {
                    Conditions::default()
                } else {
                    e.conditions
                };
                let header = HeaderValue::from_str(&e.name).map_err(|_| {
                    ConfigError::new("Compression.encoder", format!("`{}` is not valid", e.name))
                })?;
                Ok(Registered {
                    identity: e.name == "identity",
                    name: e.name,
                    header,
                    encoder: e.encoder,
                    level: e.level,
                    priority: e.priority,
                    conditions,
                    default_conditions,
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let defaults = Conditions::defaults();
        let min_length = encoders
            .iter()
            .map(|e| {
                let own = if e.default_conditions {
                    &defaults
                } else {
                    &e.conditions
                };
                own.minimum_size.unwrap_or(0)
            })
            .min()
            .unwrap_or(u64::MAX)
            .max(cfg.conditions.minimum_size.unwrap_or(0));
        Ok(Self {
            encoders,
            conditions: cfg.conditions,
            defaults,
            min_length,
            mode: cfg.mode,
            max_decoded_size: cfg.max_decoded_size,
            compress_event_streams: cfg.compress_event_streams,
            needs_request,
            no_uri: Uri::default(),
            no_headers: HeaderMap::new(),
        })
    }
}
