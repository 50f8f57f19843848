//! The `CallId` plugin: Ktor's `CallId`. Each call gets an id — taken from the request (a
//! header, or any `retrieve` function), else generated — that handlers read with the
//! [`CallIdValue`] extractor, that `CallLogging` logs, and that can be echoed in a response
//! header. The id is stored as tower-http's `RequestId`, so axum code written for tower-http's
//! request-id layers sees it too.
//!
//! ```text
//! install!(CallId {
//!     header("X-Request-Id")                 // retrieve from it and reply with it
//!     generate_random(16, "abcdef0123456789")
//!     verify(|id| !id.is_empty())
//! })
//! ```
//! desugars to [`CallId::configure`]. Retrievers run first, then generators, in the order
//! given; the first id that passes verification is the call's. By default an id passes when
//! all its characters are in [`CALL_ID_DEFAULT_DICTIONARY`] (Ktor's default); an id that fails
//! is skipped, or, with `verify_dictionary(dict, true)`, the call is answered `400 Bad Request`
//! (Ktor's `RejectedCallIdException`).
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::call_id::{CallId, CallIdValue}, testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(CallId::configure(|cfg| {
//!     cfg.header("X-Request-Id");
//!     cfg.generate_random(16, "abcdef0123456789");
//! }))?;
//! app.routing(Router::new().route("/", get(|id: CallIdValue| async move { id.0 })))?;
//! let server = TestApplication::start(app).await?;
//! let res = server.get("/").await?;
//! assert_eq!(res.text()?.len(), 16);
//! assert_eq!(res.header("x-request-id"), Some(res.text()?.as_str()));
//! # Ok(()) }
//! ```
use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
};

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    response::{IntoResponse, Response as AxumResponse},
};
use http::{request::Parts, HeaderName, HeaderValue, Request, Response, StatusCode};
use tower_http::request_id::RequestId;
use tower_layer::Layer;
use tower_service::Service;

use crate::{app::Application, ConfigError, Plugin};

/// Ktor's `CALL_ID_DEFAULT_DICTIONARY`: what ids are made of and checked against by default.
pub const CALL_ID_DEFAULT_DICTIONARY: &str = "abcdefghijklmnopqrstuvwxyz0123456789+/=-";

type Provider = Arc<dyn Fn(&Parts) -> Option<String> + Send + Sync>;
type Verifier = Arc<dyn Fn(&str) -> Verdict + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accept,
    Skip,
    Reject,
}

/// The configuration of [`CallId`]. Built by `install!(CallId { .. })`.
pub struct CallIdConfig {
    retrievers: Vec<Provider>,
    generators: Vec<Provider>,
    verifier: Verifier,
    reply_headers: Vec<HeaderName>,
    errors: Vec<ConfigError>,
}

impl fmt::Debug for CallIdConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallIdConfig")
            .field("retrievers", &self.retrievers.len())
            .field("generators", &self.generators.len())
            .field("reply_headers", &self.reply_headers)
            .finish_non_exhaustive()
    }
}

impl Default for CallIdConfig {
    fn default() -> Self {
        let mut cfg = Self {
            retrievers: Vec::new(),
            generators: Vec::new(),
            verifier: Arc::new(|_| Verdict::Accept),
            reply_headers: Vec::new(),
            errors: Vec::new(),
        };
        cfg.verify_dictionary(CALL_ID_DEFAULT_DICTIONARY, false);
        cfg
    }
}

impl CallIdConfig {
    fn header_name(&mut self, key: &str, name: &str) -> Option<HeaderName> {
        match HeaderName::try_from(name) {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.push(ConfigError::new(
                    format!("CallId.{key}"),
                    format!("`{name}` is not a valid header name"),
                ));
                None
            }
        }
    }

    /// Takes the id from the request with `f` (Ktor's `retrieve { call -> }`).
    pub fn retrieve(
        &mut self,
        f: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.retrievers.push(Arc::new(f));
        self
    }

    /// Takes the id from the request header `name`.
    pub fn retrieve_from_header(&mut self, name: &str) -> &mut Self {
        if let Some(name) = self.header_name("retrieve_from_header", name) {
            self.retrieve(move |req| {
                req.headers
                    .get(&name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            });
        }
        self
    }

    /// Sends the id in the response header `name`.
    pub fn reply_to_header(&mut self, name: &str) -> &mut Self {
        if let Some(name) = self.header_name("reply_to_header", name) {
            self.reply_headers.push(name);
        }
        self
    }

    /// Retrieves the id from the header `name` and replies with it there.
    pub fn header(&mut self, name: &str) -> &mut Self {
        self.retrieve_from_header(name).reply_to_header(name)
    }

    /// Makes an id with `f` when none was retrieved (Ktor's `generate { call -> }`).
    pub fn generate(
        &mut self,
        f: impl Fn(&Parts) -> Option<String> + Send + Sync + 'static,
    ) -> &mut Self {
        self.generators.push(Arc::new(f));
        self
    }

    /// Makes random ids of `length` characters from `dictionary` (Ktor's
    /// `generate(length, dictionary)`; Ktor's defaults are 64 and
    /// [`CALL_ID_DEFAULT_DICTIONARY`]).
    pub fn generate_random(&mut self, length: usize, dictionary: &str) -> &mut Self {
        let chars: Vec<char> = dictionary.chars().collect();
        let mut unique = chars.clone();
        unique.sort_unstable();
        unique.dedup();
        let error = if length < 1 {
            Some(format!(
                "Call id should be at least one characters length: {length}"
            ))
        } else if chars.len() < 2 {
            Some("Dictionary should consist of several different characters".to_owned())
        } else if unique.len() != chars.len() {
            Some(format!(
                "Dictionary should not contain duplicates: `{dictionary}`"
            ))
        } else {
            None
        };
        if let Some(message) = error {
            self.errors
                .push(ConfigError::new("CallId.generate_random", message));
            return self;
        }
        // Sized once (exactly, for an ASCII dictionary) rather than grown char by char.
        let bytes = length * chars.iter().map(|c| c.len_utf8()).max().unwrap_or(1);
        self.generate(move |_| {
            let mut id = String::with_capacity(bytes);
            for _ in 0..length {
                id.push(chars[fastrand::usize(..chars.len())]);
            }
            Some(id)
        })
    }

    /// Accepts ids `f` accepts; others are skipped (Ktor's `verify { id -> }`).
    pub fn verify(&mut self, f: impl Fn(&str) -> bool + Send + Sync + 'static) -> &mut Self {
        self.verifier = Arc::new(move |id| {
            if f(id) {
                Verdict::Accept
            } else {
                Verdict::Skip
            }
        });
        self
    }

    /// Accepts ids made of `dictionary`'s characters; others are skipped, or with `reject` the
    /// call is answered 400 (Ktor's `verify(dictionary, reject)`).
    pub fn verify_dictionary(&mut self, dictionary: &str, reject: bool) -> &mut Self {
        let allowed = CharSet::new(dictionary);
        self.verifier = Arc::new(move |id| {
            if id.chars().all(|c| allowed.contains(c)) {
                Verdict::Accept
            } else if reject {
                Verdict::Reject
            } else {
                Verdict::Skip
            }
        });
        self
    }
}

/// The characters of a dictionary, looked up in constant time for ASCII (every id's every
/// character is checked on every call).
struct CharSet {
    /// Bit `b` set: the ASCII character `b` is in.
    ascii: u128,
    /// The others, sorted.
    other: Vec<char>,
}

impl CharSet {
    fn new(dictionary: &str) -> Self {
        let mut set = Self {
            ascii: 0,
            other: Vec::new(),
        };
        for c in dictionary.chars() {
            if c.is_ascii() {
                set.ascii |= 1 << u32::from(c);
            } else {
                set.other.push(c);
            }
        }
        set.other.sort_unstable();
        set
    }

    fn contains(&self, c: char) -> bool {
        if c.is_ascii() {
            self.ascii & (1 << u32::from(c)) != 0
        } else {
            self.other.binary_search(&c).is_ok()
        }
    }
}

struct Settings {
    providers: Vec<Provider>,
    verifier: Verifier,
    reply_headers: Vec<HeaderName>,
}

/// The call-id plugin; see the [module docs](crate::plugins::call_id).
#[derive(Clone)]
pub struct CallId {
    settings: Arc<Settings>,
}

impl fmt::Debug for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallId").finish_non_exhaustive()
    }
}

impl CallId {
    /// Configures the plugin; what `install!(CallId { .. })` desugars to.
    pub fn configure(f: impl FnOnce(&mut CallIdConfig)) -> Result<Self, ConfigError> {
        let mut cfg = CallIdConfig::default();
        f(&mut cfg);
        if let Some(e) = cfg.errors.into_iter().next() {
            return Err(e);
        }
        let mut providers = cfg.retrievers;
        providers.extend(cfg.generators);
        Ok(Self {
            settings: Arc::new(Settings {
                providers,
                verifier: cfg.verifier,
                reply_headers: cfg.reply_headers,
            }),
        })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> CallIdLayer {
        CallIdLayer {
            settings: self.settings,
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for CallId {
    const NAME: &'static str = "CallId";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

/// The call's id (Ktor's `call.callId`), as an extractor. `Option<CallIdValue>` is `None` when
/// the call has none; `CallIdValue` alone answers 500 then (the plugin is missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallIdValue(pub String);

impl CallIdValue {
    /// The id of the request in `parts`, if it has one.
    pub fn of(parts: &Parts) -> Option<Self> {
        let id = parts.extensions.get::<RequestId>()?;
        id.header_value().to_str().ok().map(|s| Self(s.to_owned()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CallIdValue {
    type Rejection = AxumResponse;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AxumResponse> {
        Self::of(parts).ok_or_else(|| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the call has no id: install CallId",
            )
                .into_response()
        })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CallIdValue {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

/// The tower layer of [`CallId`].
#[derive(Clone)]
pub struct CallIdLayer {
    settings: Arc<Settings>,
}

impl fmt::Debug for CallIdLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallIdLayer").finish_non_exhaustive()
    }
}

impl<S> Layer<S> for CallIdLayer {
    type Service = CallIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallIdService {
            inner,
            settings: self.settings.clone(),
        }
    }
}

/// The service of [`CallIdLayer`].
#[derive(Clone)]
pub struct CallIdService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> fmt::Debug for CallIdService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallIdService").finish_non_exhaustive()
    }
}

impl<S, B, ResB> Service<Request<B>> for CallIdService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let (mut parts, body) = req.into_parts();
        let mut found = None;
        for provider in &self.settings.providers {
            let Some(id) = provider(&parts) else { continue };
            match (self.settings.verifier)(&id) {
                Verdict::Accept => {}
                Verdict::Skip => continue,
                Verdict::Reject => {
                    tracing::warn!(call_id = %id.escape_debug(), "call id rejected by the verifier");
                    return ResponseFuture {
                        inner: None,
                        id: None,
                        reply: Vec::new(),
                    };
                }
            }
            if let Ok(value) = HeaderValue::try_from(id) {
                found = Some(value);
                break;
            }
        }
        if let Some(id) = &found {
            parts.extensions.insert(RequestId::new(id.clone()));
        }
        let reply = if found.is_some() {
            self.settings.reply_headers.clone()
        } else {
            Vec::new()
        };
        ResponseFuture {
            inner: Some(self.inner.call(Request::from_parts(parts, body))),
            id: found,
            reply,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`CallIdService`]; `inner` is `None` for a rejected id (400).
    pub struct ResponseFuture<F> {
        #[pin]
        inner: Option<F>,
        id: Option<HeaderValue>,
        reply: Vec<HeaderName>,
    }
}

impl<F> fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(inner) = this.inner.as_pin_mut() else {
            let mut res = Response::new(ResB::default());
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return Poll::Ready(Ok(res));
        };
        let mut res = ready!(inner.poll(cx))?;
        if let Some(id) = this.id {
            for name in this.reply.drain(..) {
                crate::headers::insert_header(res.headers_mut(), name, id.clone());
            }
        }
        Poll::Ready(Ok(res))
    }
}

#[cfg(test)]
mod tests {
    use super::CharSet;

    #[test]
    fn char_set_holds_exactly_its_dictionary() {
        let set = CharSet::new("az09+/=-éж");
        for c in ['a', 'z', '0', '9', '+', '/', '=', '-', 'é', 'ж'] {
            assert!(set.contains(c), "{c}");
        }
        for c in ['b', 'A', '1', '\0', '\u{7f}', 'è', 'з', ' '] {
            assert!(!set.contains(c), "{c}");
        }
    }
}
