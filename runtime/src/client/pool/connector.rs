//! The capped connector: hyper-rustls's connector behind [`ConnectionLimits`], with a connect
//! timeout that covers TCP and TLS.
use std::{
    future::Future,
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use tower_service::Service;

use super::{
    idle::{ConnHandle, ConnState},
    ConnectionLimits, ConnectionPermit,
};
use crate::client::error::{BoxError, ClientError, TimeoutKind};

/// A connector that takes a connection slot before connecting and keeps it in the I/O object.
#[derive(Clone)]
pub(crate) struct CappedConnector<C> {
    inner: C,
    limits: Arc<ConnectionLimits>,
    connect_timeout: Option<Duration>,
    http2_only: bool,
}

impl<C> CappedConnector<C> {
    pub(crate) fn new(
        inner: C,
        limits: Arc<ConnectionLimits>,
        connect_timeout: Option<Duration>,
        http2_only: bool,
    ) -> Self {
        Self {
            inner,
            limits,
            connect_timeout,
            http2_only,
        }
    }
}

/// `scheme://host:port` with the scheme's default port filled in.
pub(crate) fn route_key(uri: &Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("http");
    let port = uri
        .port_u16()
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    format!("{scheme}://{}:{port}", uri.host().unwrap_or(""))
}

impl<C> Service<Uri> for CappedConnector<C>
where
    C: Service<Uri> + Clone + Send + 'static,
    C::Future: Send,
    C::Error: Into<BoxError>,
    C::Response: Read + Write + Connection + Unpin + Send + 'static,
{
    type Response = CappedIo<C::Response>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        // Take the clone that was made ready, leave a fresh one behind (tower's rule).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limits = self.limits.clone();
        let connect_timeout = self.connect_timeout;
        let http2_only = self.http2_only;
        Box::pin(async move {
            let route = route_key(&uri);
            let permit = limits.acquire(&route).await?;
            let connect = inner.call(uri);
            let io = match connect_timeout {
                Some(t) => match tokio::time::timeout(t, connect).await {
                    Ok(res) => res.map_err(Into::into)?,
                    Err(_) => return Err(ClientError::Timeout(TimeoutKind::Connect).into()),
                },
                None => connect.await.map_err(Into::into)?,
            };
            let multiplexed = http2_only || io.connected().is_negotiated_h2();
            let state = limits.idle.register(&route, multiplexed);
            Ok(CappedIo {
                inner: io,
                state,
                _permit: permit,
            })
        })
    }
}

/// A connection's I/O holding its slot until hyper drops it.
#[derive(Debug)]
pub(crate) struct CappedIo<T> {
    inner: T,
    state: Arc<ConnState>,
    _permit: ConnectionPermit,
}

impl<T: Connection> Connection for CappedIo<T> {
    fn connected(&self) -> Connected {
        self.inner.connected().extra(ConnHandle(self.state.clone()))
    }
}

impl<T: Read + Unpin> Read for CappedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        if self.state.is_evicted() {
            // End of file: hyper closes the idle connection and its slot frees up.
            return Poll::Ready(Ok(()));
        }
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if res.is_pending() {
            self.state.reader.register(cx.waker());
            if self.state.is_evicted() {
                return Poll::Ready(Ok(()));
            }
        }
        res
    }
}

impl<T: Write + Unpin> Write for CappedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if !self.state.begin_use() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if !self.state.begin_use() {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}
