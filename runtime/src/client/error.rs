//! Errors of the HTTP client: [`ClientError`], one variant per way a call can fail.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{ClientError, TimeoutKind};
//!
//! let err = ClientError::Timeout(TimeoutKind::Connect);
//! assert_eq!(err.to_string(), "connect timeout elapsed");
//! ```
use std::fmt;

/// A boxed error as hyper and http-body use them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Which timeout elapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Opening the TCP (and TLS) connection took longer than `connect_timeout`.
    Connect,
    /// The request did not get its response within `request_timeout`.
    Request,
    /// Nothing arrived within `socket_timeout`: no response head once the request was written,
    /// or no byte of the response body since the last one.
    Socket,
    /// No connection slot became free within `connection_request_timeout` (the connection caps
    /// were reached).
    ConnectionRequest,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Request => "request",
            Self::Socket => "socket",
            Self::ConnectionRequest => "connection request",
        })
    }
}

/// Everything that can go wrong with a client call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL cannot be sent: it does not parse, its host is empty, its scheme is not `http` or
    /// `https`, or its port is not in 1..=65535 (never replaced by a default).
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A header name or value is not valid HTTP.
    #[error("invalid header `{0}`")]
    InvalidHeader(String),
    /// A timeout elapsed.
    #[error("{0} timeout elapsed")]
    Timeout(TimeoutKind),
    /// The connection failed or broke (connect, TLS, protocol).
    #[error("transport error: {0}")]
    Transport(#[source] BoxError),
    /// Reading the response body failed.
    #[error("response body error: {0}")]
    Body(#[source] BoxError),
    /// The writer of a streaming request body failed; carries the writer's original message.
    #[error("request body writer failed: {0}")]
    Writer(String),
    /// Duplex streaming needs HTTP/2; the connection speaks HTTP/1.1 (OkHttp rejects it too).
    #[error("duplex streaming requires HTTP/2 (enable `http2_prior_knowledge` for h2c, or use https with ALPN h2); the connection is HTTP/1.1")]
    DuplexRequiresHttp2,
    /// A one-shot request body (a channel) was already sent by an earlier execution.
    #[error("the request body was already consumed by an earlier execution")]
    BodyConsumed,
    /// (De)serializing JSON or a form failed.
    #[error("serialization error: {0}")]
    Serialization(String),
    /// A response body was not valid UTF-8 where text was asked for.
    #[error("response body is not valid UTF-8")]
    InvalidUtf8,
    /// A client configuration value was rejected.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// The engine's runtime could not run the call (shut down, or the blocking API was used on
    /// an async thread).
    #[error("client runtime error: {0}")]
    Runtime(String),
    /// Writing into the sink of `read_to` failed.
    #[error("sink error: {0}")]
    Sink(#[source] std::io::Error),
    /// A response body collected whole (`bytes`, `text`, `json`, `body::<T>()`) is larger than
    /// the limit; the rest of it was not read. Raise the limit per call with
    /// `max_body_size(..)` on the statement or the response, or client-wide on the config; or
    /// stream the body with `read_to`.
    #[error("response body exceeds the limit of {limit} bytes (raise it with `max_body_size`, or stream it with `read_to`)")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// An authentication provider's `load_tokens`, `refresh_tokens` or `credentials` failed; the
    /// call that needed it fails with this error (later calls try again).
    #[error("authentication failed: {0}")]
    Auth(#[source] BoxError),
}

impl ClientError {
    pub(crate) fn transport(err: hyper_util::client::legacy::Error) -> Self {
        // Surface the errors we put into the connector or the request body as themselves.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(own) = e.downcast_ref::<ClientError>() {
                match own {
                    ClientError::Timeout(kind) => return ClientError::Timeout(*kind),
                    ClientError::DuplexRequiresHttp2 => return ClientError::DuplexRequiresHttp2,
                    ClientError::Writer(msg) => return ClientError::Writer(msg.clone()),
                    _ => {}
                }
            }
            source = e.source();
        }
        ClientError::Transport(Box::new(err))
    }

    /// Whether the response body ended before its declared length (the peer closed the
    /// connection mid-body); as an `io::Error` it is [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof).
    pub fn is_truncated_body(&self) -> bool {
        let ClientError::Body(err) = self else {
            return false;
        };
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err.as_ref());
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::UnexpectedEof {
                    return true;
                }
            }
            if e.downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_incomplete_message)
            {
                return true;
            }
            source = e.source();
        }
        false
    }

    /// Whether this is a timeout of the given kind.
    pub fn is_timeout(&self, kind: TimeoutKind) -> bool {
        matches!(self, ClientError::Timeout(k) if *k == kind)
    }
}

impl Clone for ClientError {
    fn clone(&self) -> Self {
        // Only the variants a builder records are cloned faithfully.
        match self {
            ClientError::InvalidUrl { url, reason } => ClientError::InvalidUrl {
                url: url.clone(),
                reason: reason.clone(),
            },
            ClientError::InvalidHeader(h) => ClientError::InvalidHeader(h.clone()),
            ClientError::Serialization(s) => ClientError::Serialization(s.clone()),
            other => ClientError::Runtime(other.to_string()),
        }
    }
}

impl From<ClientError> for std::io::Error {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Timeout(_) => std::io::Error::new(std::io::ErrorKind::TimedOut, err),
            ClientError::Sink(e) => e,
            truncated if truncated.is_truncated_body() => {
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, truncated)
            }
            other => std::io::Error::other(other),
        }
    }
}
