//! What a request is made of: [`HttpRequestBuilder`] (method, [`UrlBuilder`], [`Headers`],
//! [`Attributes`], [`RequestBody`]), and the streaming body's [`BodyWriter`].
//!
//! # Example
//! ```
//! use oxtor_runtime::client::{HttpRequestBuilder, RequestBody};
//!
//! let mut req = HttpRequestBuilder::new(http::Method::POST, "http://api/items?x=1");
//! req.headers(|h| {
//!     h.append("X-Trace", "1");
//!     h.append_if_name_absent("X-Trace", "2");
//! })
//! .body(RequestBody::text("hi"));
//! assert_eq!(req.headers_ref().get_all("x-trace"), vec!["1"]);
//! assert_eq!(req.url_ref().to_string(), "http://api/items?x=1");
//! ```
use std::{
    any::{Any, TypeId},
    collections::HashMap,
    fmt,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http::{header::HeaderName, HeaderMap, HeaderValue, Method};
use http_body::Frame;
use tokio::sync::{mpsc, oneshot};

use super::{error::ClientError, url::UrlBuilder};

/// Request headers with Ktor's string-based helpers. Invalid names or values are remembered and
/// reported when the request is sent.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    pub(crate) map: HeaderMap,
    pub(crate) invalid: Option<String>,
}

fn to_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| name.to_owned())?;
    let v = HeaderValue::from_str(value).map_err(|_| format!("{name}: {value}"))?;
    Ok((n, v))
}

impl Headers {
    /// Appends a value.
    pub fn append(&mut self, name: &str, value: &str) -> &mut Self {
        match to_pair(name, value) {
            // A `HeaderMap` holds at most 32 768 entries; `append` would panic past that.
            Ok((n, v)) => {
                if self.map.try_append(n, v).is_err() {
                    self.invalid = Some(format!("{name}: too many headers"));
                }
            }
            Err(e) => self.invalid = Some(e),
        }
        self
    }
    /// Appends a value only if no value with that name exists yet.
    pub fn append_if_name_absent(&mut self, name: &str, value: &str) -> &mut Self {
        if !self.contains(name) {
            self.append(name, value);
        }
        self
    }
    /// Replaces all values of `name` with `value`.
    pub fn set(&mut self, name: &str, value: &str) -> &mut Self {
        match to_pair(name, value) {
            Ok((n, v)) => {
                if self.map.try_insert(n, v).is_err() {
                    self.invalid = Some(format!("{name}: too many headers"));
                }
            }
            Err(e) => self.invalid = Some(e),
        }
        self
    }
    /// Replaces `Authorization` with a provider's prepared value; `Err` is the text that is not a
    /// valid value (reported when the request is sent, as [`set`](Self::set) does).
    #[cfg(feature = "client-auth")]
    pub(crate) fn set_authorization(&mut self, value: Result<&HeaderValue, &str>) -> &mut Self {
        match value {
            Ok(value) => {
                if self
                    .map
                    .try_insert(http::header::AUTHORIZATION, value.clone())
                    .is_err()
                {
                    self.invalid = Some("authorization: too many headers".to_owned());
                }
                self
            }
            Err(text) => self.set("authorization", text),
        }
    }
    /// Removes all values of `name`.
    pub fn remove(&mut self, name: &str) -> &mut Self {
        self.map.remove(name);
        self
    }
    /// Adds a cookie to the single `Cookie` header (`a=1; b=2`), as Ktor's `cookie(..)`.
    pub fn cookie(&mut self, name: &str, value: &str) -> &mut Self {
        let pair = format!("{name}={value}");
        let joined = match self.get("cookie") {
            Some(old) => format!("{old}; {pair}"),
            None => pair,
        };
        self.set("cookie", &joined)
    }
    /// Whether a value named `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }
    /// The first value of `name`, if it is text.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(|v| v.to_str().ok())
    }
    /// All text values of `name`, in order.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.map
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    }
    /// The underlying header map.
    pub fn as_map(&self) -> &HeaderMap {
        &self.map
    }
}

/// Typed per-request values (Ktor's `Attributes`), keyed by type.
#[derive(Clone, Default)]
pub struct Attributes {
    map: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attributes")
            .field("len", &self.map.len())
            .finish()
    }
}

impl Attributes {
    /// Stores `value` under its type, replacing an earlier one.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> &mut Self {
        self.map.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }
    /// The value stored for type `T`.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map.get(&TypeId::of::<T>())?.downcast_ref()
    }
    /// Whether a value of type `T` is stored.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.map.contains_key(&TypeId::of::<T>())
    }
    /// Copies in every entry of `defaults` whose key is missing here.
    pub(crate) fn fill_from(&mut self, defaults: &Attributes) {
        for (k, v) in &defaults.map {
            self.map.entry(*k).or_insert_with(|| v.clone());
        }
    }
}

/// State shared by a streaming request body, its writer and the response reader, so a writer
/// error reaches the reader with its original message.
#[derive(Debug, Default)]
pub(crate) struct DuplexShared {
    writer_error: Mutex<Option<String>>,
    pub(crate) reader: AtomicWaker,
}

impl DuplexShared {
    pub(crate) fn writer_error(&self) -> Option<String> {
        self.writer_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    fn fail(&self, message: String) {
        *self.writer_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
        self.reader.wake();
    }
}

type Chunk = Result<Bytes, String>;

/// The receiving half of a streaming body, before it is sent.
#[derive(Debug)]
pub(crate) struct ChannelParts {
    pub(crate) rx: mpsc::Receiver<Chunk>,
    pub(crate) shared: Arc<DuplexShared>,
}

/// A request body: empty, bytes, or a channel the caller writes into.
#[derive(Debug, Clone, Default)]
pub enum RequestBody {
    /// No body.
    #[default]
    Empty,
    /// A body known in full.
    Bytes(Bytes),
    /// A streaming body fed by a [`BodyWriter`]; one-shot.
    Channel(ChannelSlot),
}

/// The receiving half of [`RequestBody::channel`], taken by the first execution.
#[derive(Debug, Clone)]
pub struct ChannelSlot(pub(crate) Arc<Mutex<Option<ChannelParts>>>);

impl RequestBody {
    /// A UTF-8 text body.
    pub fn text(s: impl Into<String>) -> Self {
        Self::Bytes(Bytes::from(s.into()))
    }
    /// A streaming body: write into the returned [`BodyWriter`] (at most `capacity` chunks are
    /// buffered); dropping or [`finish`](BodyWriter::finish)ing the writer ends the body.
    pub fn channel(capacity: usize) -> (BodyWriter, RequestBody) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let shared = Arc::new(DuplexShared::default());
        let writer = BodyWriter {
            tx,
            shared: shared.clone(),
        };
        let body = RequestBody::Channel(ChannelSlot(Arc::new(Mutex::new(Some(ChannelParts {
            rx,
            shared,
        })))));
        (writer, body)
    }
}

/// The writing half of [`RequestBody::channel`].
#[derive(Debug)]
pub struct BodyWriter {
    tx: mpsc::Sender<Chunk>,
    shared: Arc<DuplexShared>,
}

impl BodyWriter {
    /// Sends one chunk; waits while the channel is full. Fails once the request is gone.
    pub async fn write(&self, chunk: impl Into<Bytes>) -> Result<(), ClientError> {
        self.tx
            .send(Ok(chunk.into()))
            .await
            .map_err(|_| ClientError::Body("the request body is no longer being sent".into()))
    }
    /// Fails the body: the request stream is reset and the response reader gets
    /// [`ClientError::Writer`] carrying `message`.
    pub fn fail(self, message: impl fmt::Display) {
        let message = message.to_string();
        self.shared.fail(message.clone());
        let _ = self.tx.try_send(Err(message));
    }
    /// Ends the body cleanly (the same as dropping the writer).
    pub fn finish(self) {}
}

/// The channel body as hyper sees it: chunks from the writer, then end of stream; signals when
/// it is done (or dropped) so a non-duplex call can wait for its request to be fully sent.
pub(crate) struct ChannelBody {
    pub(crate) parts: ChannelParts,
    pub(crate) done: Option<oneshot::Sender<()>>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = super::error::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.parts.rx.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(b))) => Poll::Ready(Some(Ok(Frame::data(b)))),
            Poll::Ready(Some(Err(msg))) => {
                self.done.take();
                Poll::Ready(Some(Err(Box::new(ClientError::Writer(msg)))))
            }
            Poll::Ready(None) => {
                if let Some(msg) = self.parts.shared.writer_error() {
                    return Poll::Ready(Some(Err(Box::new(ClientError::Writer(msg)))));
                }
                if let Some(done) = self.done.take() {
                    let _ = done.send(());
                }
                Poll::Ready(None)
            }
        }
    }
}

/// A request being built: method, URL, headers, attributes, body and a per-request timeout.
/// Methods take `&mut self` so blocks (`|req| { req.header(..); }`) configure it.
#[derive(Debug, Clone)]
pub struct HttpRequestBuilder {
    pub(crate) method: Method,
    pub(crate) url: UrlBuilder,
    pub(crate) headers: Headers,
    pub(crate) attributes: Attributes,
    pub(crate) body: RequestBody,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_body_size: Option<u64>,
    /// Boxed: a request is held in every call's future, which is copied when moved or boxed.
    pub(crate) error: Option<Box<ClientError>>,
}

impl HttpRequestBuilder {
    /// A request for `method` and `url` (absolute or relative; see [`UrlBuilder::parse`]).
    pub fn new(method: Method, url: &str) -> Self {
        Self {
            method,
            url: UrlBuilder::parse(url),
            ..Self::taken()
        }
    }

    /// What is left in a caller's slot once its request was moved on (no allocation).
    pub(crate) fn taken() -> Self {
        Self {
            method: Method::GET,
            url: UrlBuilder::default(),
            headers: Headers::default(),
            attributes: Attributes::default(),
            body: RequestBody::Empty,
            timeout: None,
            max_body_size: None,
            error: None,
        }
    }

    /// Sets the method.
    pub fn method(&mut self, method: Method) -> &mut Self {
        self.method = method;
        self
    }
    /// Replaces the URL with `url` parsed.
    pub fn url(&mut self, url: &str) -> &mut Self {
        self.url = UrlBuilder::parse(url);
        self
    }
    /// Edits the URL in place.
    pub fn url_with(&mut self, f: impl FnOnce(&mut UrlBuilder)) -> &mut Self {
        f(&mut self.url);
        self
    }
    /// Appends a query parameter.
    pub fn parameter(&mut self, key: &str, value: &str) -> &mut Self {
        self.url.append_parameter(key, value);
        self
    }
    /// Appends a header value.
    pub fn header(&mut self, name: &str, value: &str) -> &mut Self {
        self.headers.append(name, value);
        self
    }
    /// Edits the headers in a block (Ktor's `headers { .. }`).
    pub fn headers(&mut self, f: impl FnOnce(&mut Headers)) -> &mut Self {
        f(&mut self.headers);
        self
    }
    /// Adds a cookie to the `Cookie` header.
    pub fn cookie(&mut self, name: &str, value: &str) -> &mut Self {
        self.headers.cookie(name, value);
        self
    }
    /// Sets `Content-Type`.
    pub fn content_type(&mut self, value: &str) -> &mut Self {
        self.headers.set("content-type", value);
        self
    }
    /// Sets `Authorization: Bearer <token>`.
    pub fn bearer_auth(&mut self, token: &str) -> &mut Self {
        self.headers
            .set("authorization", &format!("Bearer {token}"));
        self
    }
    /// Stores a typed attribute.
    pub fn attribute<T: Send + Sync + 'static>(&mut self, value: T) -> &mut Self {
        self.attributes.insert(value);
        self
    }
    /// Sets the body.
    pub fn body(&mut self, body: RequestBody) -> &mut Self {
        self.body = body;
        self
    }
    /// Serializes `value` as the JSON body and sets `Content-Type: application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> &mut Self {
        match serde_json::to_vec(value) {
            Ok(v) => {
                self.body = RequestBody::Bytes(v.into());
                self.headers.set("content-type", "application/json");
            }
            Err(e) => self.error = Some(Box::new(ClientError::Serialization(e.to_string()))),
        }
        self
    }
    /// Serializes `value` as an `application/x-www-form-urlencoded` body.
    pub fn form<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> &mut Self {
        match serde_urlencoded::to_string(value) {
            Ok(v) => {
                self.body = RequestBody::Bytes(v.into());
                self.headers
                    .set("content-type", "application/x-www-form-urlencoded");
            }
            Err(e) => self.error = Some(Box::new(ClientError::Serialization(e.to_string()))),
        }
        self
    }
    /// A timeout for this request alone, overriding the engine's `request_timeout`.
    pub fn timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = Some(timeout);
        self
    }

    /// The most this request's response body may hold when collected whole, overriding the
    /// client's `max_body_size`.
    pub fn max_body_size(&mut self, bytes: u64) -> &mut Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// The method.
    pub fn method_ref(&self) -> &Method {
        &self.method
    }
    /// The URL.
    pub fn url_ref(&self) -> &UrlBuilder {
        &self.url
    }
    /// The headers.
    pub fn headers_ref(&self) -> &Headers {
        &self.headers
    }
    /// The attributes.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }
}
