//! What a handler sees of its call's lifecycle: the [`Cancellation`] and [`CallScope`]
//! extractors, and the errors naming why a call was cancelled.
use std::{convert::Infallible, fmt, future::Future};

use axum::{extract::FromRequestParts, response::IntoResponse};
use http::{request::Parts, StatusCode};
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};

use crate::server::{CallState, ClientDisconnect, EngineTasks};

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
        let token = match CallState::of(&parts.extensions) {
            Some(call) => call.token(),
            None => CancellationToken::new(),
        };
        Ok(Self { token })
    }
}

/// Extractor: spawns tasks that belong to the call, cancelled (dropped, their `Drop` guards
/// run) when the call is cancelled — also after the handler returned, if the client goes away
/// while they still run on a route that cancels. Ktor's `call.launch { .. }`.
/// The engine's graceful shutdown waits for them within its grace period
/// ([`EngineTasks`]). See the [module docs](super).
#[derive(Clone, Debug)]
pub struct CallScope {
    token: CancellationToken,
    disconnect: Option<ClientDisconnect>,
    tasks: Option<EngineTasks>,
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
        let scoped = async move {
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
        };
        match &self.tasks {
            Some(tasks) => {
                let tracked = tasks.track(scoped);
                tokio::spawn(async move { tracked.await.flatten() })
            }
            None => tokio::spawn(scoped),
        }
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CallScope {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let tasks = EngineTasks::of(&parts.extensions);
        Ok(match CallState::of(&parts.extensions) {
            Some(call) => Self {
                tasks,
                token: call.token(),
                disconnect: call
                    .cancel_on_close()
                    .then(|| parts.extensions.get::<ClientDisconnect>().cloned())
                    .flatten(),
            },
            None => Self {
                token: CancellationToken::new(),
                disconnect: None,
                tasks,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

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
        let call = Arc::new(CallState::new(true));
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.extensions.insert(call.clone());
        let Ok(cancel) = Cancellation::from_request_parts(&mut parts, &()).await;
        call.cancel();
        assert_eq!(cancel.cause(), Some(ConnectionClosed));
        assert!(cancel.ensure_active().is_err());
    }
}
