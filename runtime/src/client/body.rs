//! Responses: [`HttpResponse`] and its body as a byte channel, [`ResponseBody`], with
//! [`read_to`](ResponseBody::read_to) / [`read_to_limit`](ResponseBody::read_to_limit) (Ktor's
//! `ByteReadChannel.readTo`): stream into any `AsyncWrite`, flush after each chunk, return the
//! byte count, leave the sink open on success, hold at most one chunk. Bytes past the limit stay
//! readable. A failing sink is shut down and the body cancelled; a failing body leaves the sink
//! open. Reading a [cancelled](ResponseBody::cancel) body fails with [`BodyCancelled`] (Ktor's
//! `readTo` on a cancelled channel throws an `IOException`), so it is never taken for its end.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::ResponseBody;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), oxtor_runtime::client::ClientError> {
//! let mut body = ResponseBody::from_bytes("0123456789");
//! let mut sink = Vec::new();
//! assert_eq!(body.read_to_limit(&mut sink, 4).await?, 4);
//! assert_eq!(sink, b"0123");
//! assert_eq!(body.read_to(&mut sink).await?, 6);
//! assert_eq!(body.read_to(&mut sink).await?, 0);
//! # Ok(()) }
//! ```
use std::{
    fmt,
    future::{poll_fn, Future},
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use bytes::{Buf, Bytes};
use http::{HeaderMap, StatusCode, Version};
use http_body::Body;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf},
    time::{Instant, Sleep},
};

/// The default limit on a response body collected whole: 64 MiB (see
/// [`ResponseBody::set_max_body_size`]).
pub const DEFAULT_MAX_BODY_SIZE: u64 = 64 * 1024 * 1024;

use super::{
    error::{BoxError, ClientError, TimeoutKind},
    pool::idle::ConnHandle,
    request::DuplexShared,
};

/// A response body as a byte channel; see the [module docs](self).
pub struct ResponseBody {
    inner: UnsyncBoxBody<Bytes, BoxError>,
    buf: Bytes,
    done: bool,
    /// Set by [`cancel`](Self::cancel): later reads fail with [`BodyCancelled`].
    cancelled: bool,
    duplex: Option<Arc<DuplexShared>>,
    idle: Option<Idle>,
    conn: Option<ConnHandle>,
    /// The most `bytes`/`text`/`json` collect.
    max_size: u64,
    /// Keeps the engine (and a runtime it owns) alive while the body is read.
    _engine: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

struct Idle {
    timeout: Duration,
    last: Instant,
    sleep: Pin<Box<Sleep>>,
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("buffered", &self.buf.len())
            .field("done", &self.done)
            .field("cancelled", &self.cancelled)
            .finish()
    }
}

/// The error reading a [cancelled](ResponseBody::cancel) [`ResponseBody`] fails with, inside
/// [`ClientError::Body`] (as an `io::Error` through `AsyncRead`: kind `Other`).
///
/// # Example
/// ```
/// use oxtor_runtime::client::{body::BodyCancelled, ClientError, ResponseBody};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut body = ResponseBody::from_bytes("abc");
/// body.cancel();
/// let err = body.read_to(&mut Vec::new()).await.unwrap_err();
/// assert!(matches!(&err, ClientError::Body(e) if e.is::<BodyCancelled>()));
/// assert_eq!(err.to_string(), "response body error: the response body was cancelled");
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the response body was cancelled")]
pub struct BodyCancelled;

impl ResponseBody {
    /// `timer`, when given, is reused for the idle timeout (the one the head was waited with).
    pub(crate) fn new<B>(
        body: B,
        socket_timeout: Option<Duration>,
        duplex: Option<Arc<DuplexShared>>,
        timer: Option<Pin<Box<Sleep>>>,
    ) -> Self
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self {
            inner: body.map_err(Into::into).boxed_unsync(),
            buf: Bytes::new(),
            done: false,
            cancelled: false,
            duplex,
            idle: socket_timeout.map(|timeout| {
                // `last + timeout` is computed on every poll; it must not overflow.
                let timeout = timeout.min(super::engine::FOREVER);
                let last = Instant::now();
                let sleep = match timer {
                    Some(mut sleep) => {
                        sleep.as_mut().reset(last + timeout);
                        sleep
                    }
                    None => Box::pin(tokio::time::sleep_until(last + timeout)),
                };
                Idle {
                    timeout,
                    last,
                    sleep,
                }
            }),
            conn: None,
            max_size: DEFAULT_MAX_BODY_SIZE,
            _engine: None,
        }
    }

    /// Sets the most [`bytes`](Self::bytes), [`text`](Self::text) and [`json`](Self::json)
    /// collect (default: the client's `max_body_size`, [`DEFAULT_MAX_BODY_SIZE`] unless set);
    /// beyond it they fail with [`ClientError::BodyTooLarge`]. Streaming with `read_to` is not
    /// limited: it holds one chunk at a time.
    pub fn set_max_body_size(&mut self, bytes: u64) -> &mut Self {
        self.max_size = bytes;
        self
    }

    /// The limit of [`bytes`](Self::bytes); see [`set_max_body_size`](Self::set_max_body_size).
    pub fn max_body_size(&self) -> u64 {
        self.max_size
    }

    pub(crate) fn keep_alive(mut self, engine: Arc<dyn std::any::Any + Send + Sync>) -> Self {
        self._engine = Some(engine);
        self
    }

    /// Ties the body to its connection's use state: the connection counts as idle once the body
    /// ended or was dropped.
    pub(crate) fn with_connection(mut self, conn: Option<ConnHandle>) -> Self {
        self.conn = conn;
        self
    }

    fn release_connection(&mut self) {
        if let Some(conn) = self.conn.take() {
            conn.0.end_use();
        }
    }

    /// A body holding `bytes` (for tests and mocks).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        Self::new(
            Full::new(bytes.into()).map_err(|never| -> BoxError { match never {} }),
            None,
            None,
            None,
        )
    }

    fn writer_error(&self) -> Option<ClientError> {
        self.duplex
            .as_ref()
            .and_then(|d| d.writer_error())
            .map(ClientError::Writer)
    }

    /// Polls for the next chunk: buffered bytes first, then the next data frame. After
    /// [`cancel`](Self::cancel) it fails with [`BodyCancelled`].
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<Bytes>, ClientError>> {
        if self.cancelled {
            return Poll::Ready(Err(ClientError::Body(Box::new(BodyCancelled))));
        }
        if !self.buf.is_empty() {
            return Poll::Ready(Ok(Some(std::mem::take(&mut self.buf))));
        }
        if self.done {
            return Poll::Ready(Ok(None));
        }
        if let Some(e) = self.writer_error() {
            self.done = true;
            return Poll::Ready(Err(e));
        }
        loop {
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers and empty frames are skipped.
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() {
                            if let Some(idle) = &mut self.idle {
                                idle.last = Instant::now();
                            }
                            return Poll::Ready(Ok(Some(data)));
                        }
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    self.done = true;
                    return Poll::Ready(Err(self.writer_error().unwrap_or(ClientError::Body(e))));
                }
                Poll::Ready(None) => {
                    self.done = true;
                    self.release_connection();
                    return Poll::Ready(match self.writer_error() {
                        Some(e) => Err(e),
                        None => Ok(None),
                    });
                }
                Poll::Pending => {
                    if let Some(d) = &self.duplex {
                        d.reader.register(cx.waker());
                        if let Some(e) = self.writer_error() {
                            self.done = true;
                            return Poll::Ready(Err(e));
                        }
                    }
                    if let Some(idle) = &mut self.idle {
                        let deadline = idle.last + idle.timeout;
                        if idle.sleep.deadline() != deadline {
                            idle.sleep.as_mut().reset(deadline);
                        }
                        if idle.sleep.as_mut().poll(cx).is_ready() {
                            self.done = true;
                            return Poll::Ready(Err(ClientError::Timeout(TimeoutKind::Socket)));
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// The next chunk, or `None` at the end of the body; see [`poll_chunk`](Self::poll_chunk).
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, ClientError> {
        poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Streams the whole rest of the body into `sink`; see [`read_to_limit`](Self::read_to_limit).
    pub async fn read_to<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        sink: &mut W,
    ) -> Result<u64, ClientError> {
        self.read_to_limit(sink, u64::MAX).await
    }

    /// Streams at most `limit` bytes into `sink`, flushing after every chunk, and returns how many
    /// were written (0 at the end of the body). Bytes past `limit` stay readable. On success the
    /// sink stays open. If writing fails, the sink is shut down, the body cancelled and
    /// [`ClientError::Sink`] returned; if the body fails, its error is returned and the sink is
    /// left as is. A [cancelled](Self::cancel) body fails with [`BodyCancelled`].
    pub async fn read_to_limit<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        sink: &mut W,
        limit: u64,
    ) -> Result<u64, ClientError> {
        let mut total = 0u64;
        while total < limit {
            let mut chunk = match self.chunk().await? {
                Some(c) => c,
                None => break,
            };
            let room = limit - total;
            if (chunk.len() as u64) > room {
                // room < chunk.len() <= usize::MAX, so the cast is exact.
                self.buf = chunk.split_off(room as usize);
            }
            let written = async {
                sink.write_all(&chunk).await?;
                sink.flush().await
            }
            .await;
            if let Err(e) = written {
                self.cancel();
                let _ = sink.shutdown().await;
                return Err(ClientError::Sink(e));
            }
            total += chunk.len() as u64;
        }
        Ok(total)
    }

    /// Drops what is left: the connection stops receiving this body. Every later read
    /// ([`chunk`](Self::chunk), [`read_to`](Self::read_to), [`bytes`](Self::bytes), `AsyncRead`,
    /// ...) fails with [`ClientError::Body`] holding [`BodyCancelled`], not an end of body.
    pub fn cancel(&mut self) {
        self.buf = Bytes::new();
        self.done = true;
        self.cancelled = true;
        self.inner = Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed_unsync();
    }

    /// Collects the rest of the body, at most [`max_body_size`](Self::max_body_size) bytes:
    /// past that the body is cancelled and [`ClientError::BodyTooLarge`] returned, having held
    /// no more than the limit plus one chunk.
    pub async fn bytes(&mut self) -> Result<Bytes, ClientError> {
        let limit = self.max_size;
        let mut total = 0u64;
        let mut within = |chunk: &Bytes, this: &mut Self| {
            total += chunk.len() as u64;
            if total > limit {
                this.cancel();
                return Err(ClientError::BodyTooLarge { limit });
            }
            Ok(())
        };
        let first = match self.chunk().await? {
            Some(c) => c,
            None => return Ok(Bytes::new()),
        };
        within(&first, self)?;
        let second = match self.chunk().await? {
            Some(c) => c,
            None => return Ok(first),
        };
        within(&second, self)?;
        let mut all = Vec::with_capacity(first.len() + second.len());
        all.extend_from_slice(&first);
        all.extend_from_slice(&second);
        while let Some(c) = self.chunk().await? {
            within(&c, self)?;
            all.extend_from_slice(&c);
        }
        Ok(all.into())
    }

    /// Collects the rest of the body as UTF-8 text.
    pub async fn text(&mut self) -> Result<String, ClientError> {
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| ClientError::InvalidUtf8)
    }

    /// Collects the rest of the body and deserializes it from JSON.
    pub async fn json<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, ClientError> {
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Serialization(e.to_string()))
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        self.release_connection();
    }
}

impl AsyncRead for ResponseBody {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.buf.is_empty() {
            match this.poll_chunk(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                Poll::Ready(Ok(None)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(Some(c))) => this.buf = c,
            }
        }
        let n = this.buf.len().min(out.remaining());
        out.put_slice(&this.buf[..n]);
        this.buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// A response: status, version, headers and the [`ResponseBody`].
#[derive(Debug)]
pub struct HttpResponse {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: String,
    body: ResponseBody,
}

impl HttpResponse {
    pub(crate) fn new(parts: http::response::Parts, url: String, body: ResponseBody) -> Self {
        Self {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            url,
            body,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The HTTP version the response came over.
    pub fn version(&self) -> Version {
        self.version
    }
    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    /// The first value of header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The URL the request went to.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The body, to read from.
    pub fn body_mut(&mut self) -> &mut ResponseBody {
        &mut self.body
    }
    /// The body, owned.
    pub fn into_body(self) -> ResponseBody {
        self.body
    }
    /// Sets the most [`bytes`](Self::bytes), [`text`](Self::text) and [`json`](Self::json)
    /// collect for this response (see [`ResponseBody::set_max_body_size`]).
    pub fn max_body_size(mut self, bytes: u64) -> Self {
        self.body.set_max_body_size(bytes);
        self
    }
    /// Collects the body, within [`max_body_size`](Self::max_body_size): a `Content-Length`
    /// over the limit fails before anything is read.
    pub async fn bytes(mut self) -> Result<Bytes, ClientError> {
        let limit = self.body.max_body_size();
        let declared = self
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit) {
            self.body.cancel();
            return Err(ClientError::BodyTooLarge { limit });
        }
        self.body.bytes().await
    }
    /// Collects the body as UTF-8 text, within [`max_body_size`](Self::max_body_size).
    pub async fn text(self) -> Result<String, ClientError> {
        String::from_utf8(self.bytes().await?.into()).map_err(|_| ClientError::InvalidUtf8)
    }
    /// Collects the body and deserializes it from JSON, within
    /// [`max_body_size`](Self::max_body_size).
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, ClientError> {
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Serialization(e.to_string()))
    }
    /// See [`ResponseBody::read_to`].
    pub async fn read_to<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        sink: &mut W,
    ) -> Result<u64, ClientError> {
        self.body.read_to(sink).await
    }
    /// See [`ResponseBody::read_to_limit`].
    pub async fn read_to_limit<W: AsyncWrite + Unpin + ?Sized>(
        &mut self,
        sink: &mut W,
        limit: u64,
    ) -> Result<u64, ClientError> {
        self.body.read_to_limit(sink, limit).await
    }
}

/// A type a response can be converted into by [`HttpStatement::body`](super::HttpStatement::body):
/// `String`, `Bytes`, `Vec<u8>` or [`Json<T>`].
pub trait FromResponse: Sized + Send + 'static {
    /// Converts the response.
    fn from_response(
        response: HttpResponse,
    ) -> impl std::future::Future<Output = Result<Self, ClientError>> + Send;
}

// `String` and `Bytes` return the collecting future itself (no `async` wrapper holding the
// response a second time): a call's future is copied whenever it is moved or boxed.
impl FromResponse for String {
    fn from_response(
        response: HttpResponse,
    ) -> impl std::future::Future<Output = Result<Self, ClientError>> + Send {
        response.text()
    }
}

impl FromResponse for Bytes {
    fn from_response(
        response: HttpResponse,
    ) -> impl std::future::Future<Output = Result<Self, ClientError>> + Send {
        response.bytes()
    }
}

impl FromResponse for Vec<u8> {
    async fn from_response(response: HttpResponse) -> Result<Self, ClientError> {
        Ok(response.bytes().await?.into())
    }
}

/// A JSON body deserialized into `T` (`statement.body::<Json<Book>>()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send + 'static> FromResponse for Json<T> {
    async fn from_response(response: HttpResponse) -> Result<Self, ClientError> {
        Ok(Json(response.json().await?))
    }
}
