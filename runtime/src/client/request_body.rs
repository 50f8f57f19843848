//! The request bodies the engine sends, wrapped: [`Written`] tells when hyper is done with a
//! body (the socket timeout of the wait for the response head starts then), [`GatedBody`] waits
//! for a gate first (the ALPN check of a duplex call). Crate-internal.
//!
//! # Example
//! What `Written` makes visible: a server silent for longer than `socket_timeout` after the
//! request was written fails the call, before any response head.
//! ```
//! use std::time::Duration;
//! use oxtor_runtime::client::{error::TimeoutKind, ClientError, HttpClient};
//! use oxtor_runtime::{testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/slow", get(|| async {
//!     tokio::time::sleep(Duration::from_secs(5)).await;
//!     "late"
//! })))?;
//! let server = TestApplication::start(app).await?;
//! let client = HttpClient::configure(|cfg| {
//!     cfg.engine(|e| { e.socket_timeout(Duration::from_millis(100)); });
//! })
//! .expect("client");
//! let res = client.get(&server.url("/slow")).send().await;
//! assert!(matches!(res, Err(ClientError::Timeout(TimeoutKind::Socket))));
//! # Ok(()) }
//! ```
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::sync::oneshot;

use super::{engine::EngineBody, error::ClientError};

pin_project_lite::pin_project! {
    /// A request body that tells, through `tx`, when hyper is done with it: it ended, failed,
    /// or was dropped (hyper drops a body once its last frame is handed to the connection, and
    /// one that is empty from the start without polling it). The socket timeout of the wait
    /// for the response head starts then.
    pub(crate) struct Written<B> {
        #[pin]
        inner: B,
        tx: Option<oneshot::Sender<()>>,
    }
}

impl<B> Written<B>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<super::error::BoxError>,
{
    /// `body` boxed for the engine, wrapped when there is a `tx` to tell.
    pub(crate) fn wrap(body: B, tx: Option<oneshot::Sender<()>>) -> EngineBody {
        match tx {
            Some(tx) => Written {
                inner: body,
                tx: Some(tx),
            }
            .map_err(Into::into)
            .boxed_unsync(),
            None => body.map_err(Into::into).boxed_unsync(),
        }
    }
}

impl<B: http_body::Body> http_body::Body for Written<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let frame = std::task::ready!(this.inner.poll_frame(cx));
        if !matches!(frame, Some(Ok(_))) {
            // The end, or an error: nothing more is sent.
            this.tx.take();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

pub(crate) type Gate = Pin<Box<dyn Future<Output = Result<(), ClientError>> + Send>>;

/// A body that first waits for `gate` (the ALPN check of a duplex call).
pub(crate) struct GatedBody {
    pub(crate) gate: Option<Gate>,
    pub(crate) inner: EngineBody,
}

impl http_body::Body for GatedBody {
    type Data = Bytes;
    type Error = super::error::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(gate) = self.gate.as_mut() {
            match gate.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => self.gate = None,
                Poll::Ready(Err(e)) => {
                    self.gate = None;
                    return Poll::Ready(Some(Err(Box::new(e))));
                }
            }
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.gate.is_none() && self.inner.is_end_stream()
    }
}
