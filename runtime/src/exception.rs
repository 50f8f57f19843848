//! Handler errors as Ktor's exceptions: [`CallError`] carries any error out of a handler, and
//! answers as Ktor 3.4's default exception handling does when nothing maps it — the status of
//! the error (`400`/`404`/`413`/`415`/`504`, else `500`) with the error's message as a
//! `text/plain; charset=utf-8` body. The `StatusPages` plugin (feature `status-pages`) maps
//! errors to responses of the user's by their type, as Ktor's `exception<T> { call, cause -> }`.
//!
//! | Ktor | oxtor | status |
//! |---|---|---|
//! | `throw BadRequestException(msg)` | `Err(BadRequestException::new(msg))?` | 400 |
//! | `throw NotFoundException()` | `Err(NotFoundException::default())?` | 404 |
//! | `throw PayloadTooLargeException(limit)` | `Err(PayloadTooLargeException::new(limit))?` | 413 |
//! | `throw UnsupportedMediaTypeException(ct)` | `Err(UnsupportedMediaTypeException::new(ct))?` | 415 |
//! | `TimeoutCancellationException` | `tokio::time::error::Elapsed`, [`TimeoutException`] | 504 |
//! | any other exception | any other `std::error::Error` | 500 |
//!
//! Nothing is sent once a response has started: an error inside a streaming body ends the
//! connection (HTTP/1.1) or resets the stream (HTTP/2), so a client never takes a truncated body
//! for a whole one.
//!
//! # Example
//! ```
//! use oxtor_runtime::exception::{BadRequestException, CallResult};
//! use axum::response::IntoResponse;
//!
//! fn parse(n: &str) -> CallResult<u32> {
//!     if n.is_empty() {
//!         Err(BadRequestException::new("n is required"))?;
//!     }
//!     Ok(n.parse::<u32>()?) // any error converts; ParseIntError answers 500
//! }
//!
//! let res = parse("").unwrap_err().into_response();
//! assert_eq!(res.status(), 400);
//! assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
//! assert_eq!(parse("x").unwrap_err().status(), 500);
//! assert_eq!(parse("x").unwrap_err().to_string(), "invalid digit found in string");
//! ```
use std::{any::Any, error::Error as StdError, fmt, sync::Arc};

use axum::response::{IntoResponse, Response};
use http::{header::CONTENT_TYPE, HeaderValue, StatusCode};

/// The result of a handler that may fail: `Result<T, CallError>`.
pub type CallResult<T> = Result<T, CallError>;

/// Any error a handler returns, as Ktor's thrown exception: `?` converts every
/// `std::error::Error`. As a response it is Ktor's default (status from its type, message as the
/// `text/plain` body); `StatusPages` finds it in the response and maps it by type.
///
/// See the [module docs](crate::exception).
#[derive(Clone)]
pub struct CallError {
    error: Arc<dyn StdError + Send + Sync + 'static>,
    status: StatusCode,
}

impl CallError {
    /// Wraps an error; the status is Ktor's for its type (see the [module docs](crate::exception)).
    pub fn new<E: StdError + Send + Sync + 'static>(error: E) -> Self {
        let status = default_status(&error);
        Self {
            error: Arc::new(error),
            status,
        }
    }

    /// Wraps an error that answers with `status` when nothing maps it.
    pub fn with_status<E: StdError + Send + Sync + 'static>(status: StatusCode, error: E) -> Self {
        Self {
            error: Arc::new(error),
            status,
        }
    }

    /// The status of the default response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error, as `&dyn Error`.
    pub fn get_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.error
    }

    /// The error as `E`, if it is one (Ktor's `cause is E`).
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.error.downcast_ref::<E>()
    }

    /// Whether the error is an `E`.
    pub fn is<E: StdError + 'static>(&self) -> bool {
        self.error.is::<E>()
    }

    /// Ktor's default response: the status, and the message as a `text/plain` body (empty when
    /// the message is). The response carries this error in its extensions.
    pub fn default_response(&self) -> Response {
        let mut res = (self.status, self.error.to_string()).into_response();
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        res.extensions_mut().insert(self.clone());
        res
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for CallError {
    fn from(error: E) -> Self {
        Self::new(error)
    }
}

impl fmt::Debug for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallError")
            .field("status", &self.status)
            .field("error", &self.error)
            .finish()
    }
}

/// The error's message (its `Display`).
impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl IntoResponse for CallError {
    fn into_response(self) -> Response {
        self.default_response()
    }
}

/// Ktor's `defaultExceptionStatusCode`.
fn default_status(error: &(dyn Any + 'static)) -> StatusCode {
    if error.is::<BadRequestException>() {
        StatusCode::BAD_REQUEST
    } else if error.is::<NotFoundException>() {
        StatusCode::NOT_FOUND
    } else if error.is::<UnsupportedMediaTypeException>() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    } else if error.is::<PayloadTooLargeException>() {
        StatusCode::PAYLOAD_TOO_LARGE
    } else if error.is::<TimeoutException>() || error.is::<tokio::time::error::Elapsed>() {
        StatusCode::GATEWAY_TIMEOUT
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// Ktor's `BadRequestException`: answers 400 with its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequestException(pub String);

impl BadRequestException {
    /// A bad request with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Ktor's `NotFoundException`: answers 404 with its message (`Resource not found` by default).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotFoundException(pub String);

impl NotFoundException {
    /// Not found, with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl Default for NotFoundException {
    fn default() -> Self {
        Self::new("Resource not found")
    }
}

/// Ktor's `UnsupportedMediaTypeException`: answers 415,
/// `Content type <type> is not supported`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Content type {0} is not supported")]
pub struct UnsupportedMediaTypeException(pub String);

impl UnsupportedMediaTypeException {
    /// The content type that is not supported.
    pub fn new(content_type: impl Into<String>) -> Self {
        Self(content_type.into())
    }
}

/// Ktor's `PayloadTooLargeException`: answers 413,
/// `Request is larger than the limit of <n> bytes`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Request is larger than the limit of {0} bytes")]
pub struct PayloadTooLargeException(pub u64);

impl PayloadTooLargeException {
    /// The limit that was exceeded, in bytes.
    pub fn new(limit: u64) -> Self {
        Self(limit)
    }
}

/// A call that took too long (Ktor's `TimeoutCancellationException`): answers 504 with its
/// message. `tokio::time::error::Elapsed` answers 504 too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimeoutException(pub String);

impl TimeoutException {
    /// A timeout with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// A handler panicked. The call answers 500 with an empty body (the panic message is logged,
/// never sent: it is a bug report, not a message for a client) and only that call fails, with
/// or without `StatusPages`; with it installed, exception handlers can map the panic by this
/// type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerPanicked {
    /// The panic message, when the payload was a string.
    pub message: Option<String>,
}

impl fmt::Display for HandlerPanicked {
    /// Empty: the default response has no body.
    fn fmt(&self, _f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl StdError for HandlerPanicked {}

/// The engine's answer to a call whose handler (or a layer of the application's) panicked:
/// `500 Internal Server Error` with no body, as Ktor answers an uncaught exception (the panic
/// message is logged, never sent). The connection serves on.
pub(crate) fn panic_response(payload: &(dyn Any + Send)) -> Response {
    tracing::error!(
        panic = panic_message(payload).unwrap_or_default(),
        "a handler panicked; the call answers 500"
    );
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// The text of a panic, when its payload is a string (as `panic!` makes it).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ktor_default_statuses() {
        let status = |e: CallError| e.status().as_u16();
        assert_eq!(status(BadRequestException::new("x").into()), 400);
        assert_eq!(status(NotFoundException::default().into()), 404);
        assert_eq!(
            status(UnsupportedMediaTypeException::new("a/b").into()),
            415
        );
        assert_eq!(status(PayloadTooLargeException::new(1).into()), 413);
        assert_eq!(status(TimeoutException::new("t").into()), 504);
        assert_eq!(status(std::fmt::Error.into()), 500);
    }

    #[test]
    fn default_response_carries_the_error() {
        let res = CallError::from(NotFoundException::default()).into_response();
        let err = res
            .extensions()
            .get::<CallError>()
            .expect("error in extensions");
        assert!(err.is::<NotFoundException>());
        assert_eq!(err.to_string(), "Resource not found");
    }
}
