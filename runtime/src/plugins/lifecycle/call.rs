//! What a handler sees of its call's lifecycle: the [`Cancellation`] and [`CallScope`]
//! extractors, and the errors naming why a call was cancelled.
use std::{
    convert::Infallible,
    fmt,
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, OnceLock,
    },
};

use axum::{extract::FromRequestParts, response::IntoResponse};
use http::{request::Parts, StatusCode};
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::server::ClientDisconnect;

/// The lifecycle state of one call, in its request's extensions. Created by the first
/// [`LifecycleLayer`](super::LifecycleLayer) on the request's way; later ones (a `lifecycle`
/// routing block) only change its policy.
#[derive(Debug)]
pub(crate) struct CallLifecycle {
    /// Cancelled when the call is; made on first use (most calls never ask).
    token: OnceLock<CancellationToken>,
    cancelled: AtomicBool,
    cancel_on_close: AtomicBool,
    pub(crate) disconnect: Option<ClientDisconnect>,
}

impl CallLifecycle {
    pub(crate) fn new(cancel_on_close: bool, disconnect: Option<ClientDisconnect>) -> Self {
        Self {
            token: OnceLock::new(),
            cancelled: AtomicBool::new(false),
            cancel_on_close: AtomicBool::new(cancel_on_close),
            disconnect,
        }
    }

    /// The call's token (cancelled if the call already is).
    pub(crate) fn token(&self) -> CancellationToken {
        let token = self.token.get_or_init(CancellationToken::new).clone();
        if self.cancelled.load(Ordering::Acquire) {
            token.cancel();
        }
        token
    }

    /// Cancels the call.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        if let Some(token) = self.token.get() {
            token.cancel();
        }
    }

    pub(crate) fn cancel_on_close(&self) -> bool {
        self.cancel_on_close.load(Ordering::Relaxed)
    }

    pub(crate) fn set_cancel_on_close(&self, cancel: bool) {
        self.cancel_on_close.store(cancel, Ordering::Relaxed);
    }
}

/// Why a call was cancelled: its client closed or reset the connection, or reset its HTTP/2
/// stream. Ktor's `ConnectionClosedException`; its message is the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionClosed;

impl fmt::Display for ConnectionClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Connection was closed")
    }
}

impl std::error::Error for ConnectionClosed {}

/// The error of a cancelled call, whose [`source`](std::error::Error::source) (root cause) is
/// [`ConnectionClosed`]: Ktor's `CancellationException` from `ensureActive()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallCancelled {
    cause: ConnectionClosed,
}

impl CallCancelled {
    /// Why the call was cancelled.
    pub fn cause(&self) -> ConnectionClosed {
        self.cause
    }
}

impl fmt::Display for CallCancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Call context was cancelled by `HttpRequestLifecycle` plugin")
    }
}

impl std::error::Error for CallCancelled {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// Nobody reads the response of a cancelled call; `?` on [`Cancellation::ensure_active`] still
/// needs one (503).
impl IntoResponse for CallCancelled {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::SERVICE_UNAVAILABLE, self.to_string()).into_response()
    }
}

/// Extractor: the call's cancellation, to `select!` on or check. Cancelled when the
/// `HttpRequestLifecycle` plugin cancels the call because its client went away; never cancelled
/// where the plugin does not cover the route or `cancel_call_on_close` is off.
///
/// When the call is cancelled its handler is polled once more, so a `select!` branch on
/// [`cancelled`](Self::cancelled) runs its synchronous clean-up, then the handler is dropped
/// (its `Drop` guards run), as Kotlin runs a `catch (e: CancellationException)` block whose
/// suspending calls are cancelled too. See the [module docs](super).
#[derive(Clone, Debug)]
pub struct Cancellation {
    token: CancellationToken,
}

impl Cancellation {
    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once the call is cancelled.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.token.cancelled()
    }

    /// A token cancelled with the call (cancelling it yourself affects nothing else).
    pub fn token(&self) -> CancellationToken {
        self.token.child_token()
    }

    /// Why the call was cancelled, if it was.
    pub fn cause(&self) -> Option<ConnectionClosed> {
        self.is_cancelled().then_some(ConnectionClosed)
    }

    /// `Err` once the call is cancelled: Ktor's `coroutineContext.ensureActive()`.
    pub fn ensure_active(&self) -> Result<(), CallCancelled> {
        match self.cause() {
            None => Ok(()),
            Some(cause) => Err(CallCancelled { cause }),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Cancellation {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let token = match parts.extensions.get::<Arc<CallLifecycle>>() {
            Some(call) => call.token(),
            None => CancellationToken::new(),
        };
        Ok(Self { token })
    }
}

/// Extractor: spawns tasks that belong to the call, cancelled (dropped, their `Drop` guards
/// run) when the call is cancelled — also after the handler returned, if the client goes away
/// while they still run on a route that cancels. Ktor's `call.launch { .. }`.
/// See the [module docs](super).
#[derive(Clone, Debug)]
pub struct CallScope {
    token: CancellationToken,
    disconnect: Option<ClientDisconnect>,
}

impl CallScope {
    /// Spawns `task` in the call's scope. Its handle yields `None` if the call was cancelled
    /// before the task finished.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let token = self.token.clone();
        let disconnect = self.disconnect.clone();
        tokio::spawn(async move {
            let gone = async {
                match &disconnect {
                    Some(d) => d.disconnected().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = token.cancelled() => None,
                _ = gone => None,
                out = task => Some(out),
            }
        })
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CallScope {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(match parts.extensions.get::<Arc<CallLifecycle>>() {
            Some(call) => Self {
                token: call.token(),
                disconnect: call
                    .cancel_on_close()
                    .then(|| call.disconnect.clone())
                    .flatten(),
            },
            None => Self {
                token: CancellationToken::new(),
                disconnect: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_made_after_the_call_was_cancelled_is_cancelled() {
        let call = CallLifecycle::new(true, None);
        call.cancel();
        assert!(call.token().is_cancelled());
    }

    #[test]
    fn cancelling_cancels_a_token_made_before() {
        let call = CallLifecycle::new(true, None);
        let token = call.token();
        assert!(!token.is_cancelled());
        call.cancel();
        assert!(token.is_cancelled());
    }

    #[test]
    fn call_cancelled_has_ktor_messages_and_connection_closed_root_cause() {
        let err = CallCancelled {
            cause: ConnectionClosed,
        };
        assert_eq!(
            err.to_string(),
            "Call context was cancelled by `HttpRequestLifecycle` plugin"
        );
        let root = std::error::Error::source(&err).expect("a cause");
        assert_eq!(root.to_string(), "Connection was closed");
        assert!(root.is::<ConnectionClosed>());
    }

    #[tokio::test]
    async fn cancellation_outside_the_plugin_is_never_cancelled() {
        let (mut parts, ()) = http::Request::new(()).into_parts();
        let Ok(cancel) = Cancellation::from_request_parts(&mut parts, &()).await;
        assert_eq!(cancel.ensure_active(), Ok(()));
        assert_eq!(cancel.cause(), None);
    }

    #[tokio::test]
    async fn cancellation_reflects_its_call() {
        let call = Arc::new(CallLifecycle::new(true, None));
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.extensions.insert(call.clone());
        let Ok(cancel) = Cancellation::from_request_parts(&mut parts, &()).await;
        call.cancel();
        assert_eq!(cancel.cause(), Some(ConnectionClosed));
        assert!(cancel.ensure_active().is_err());
    }
}
