//! What a provider sees and reports: [`AuthContext`] (the request), [`AuthCall`] (the call a
//! challenge or fallback responds through), [`AuthenticationFailedCause`], [`AuthError`] and
//! [`Failure`], and the [`AuthenticationProvider`] trait every provider implements.
use std::{
    error::Error as StdError,
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use axum::{
    extract::Request,
    response::{IntoResponse, Response},
};
use futures_util::future::BoxFuture;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

/// Why a provider produced no principal (Ktor's `AuthenticationFailedCause`).
#[derive(Debug, Clone)]
pub enum AuthenticationFailedCause {
    /// The request carries no credentials for this provider.
    NoCredentials,
    /// Credentials were present and rejected.
    InvalidCredentials,
    /// Something went wrong (an OAuth token endpoint failed, a state was forged, …).
    Error(AuthError),
}

impl AuthenticationFailedCause {
    /// Whether this is [`InvalidCredentials`](Self::InvalidCredentials).
    pub fn is_invalid_credentials(&self) -> bool {
        matches!(self, Self::InvalidCredentials)
    }
}

impl fmt::Display for AuthenticationFailedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCredentials => f.write_str("no credentials"),
            Self::InvalidCredentials => f.write_str("invalid credentials"),
            Self::Error(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// Ktor's `AuthenticationFailedCause.Error`: a failure with a message and a typed source that
/// a `fallback` can test, as Kotlin's `cause is OAuth2RedirectError`:
/// `cause.is::<OAuth2RedirectError>()`.
///
/// ```
/// use oxtor_runtime::plugins::auth::AuthError;
///
/// let cause = AuthError::new("Failed to request OAuth2 access token");
/// assert_eq!(cause.to_string(), "Failed to request OAuth2 access token");
/// assert!(!cause.is::<std::io::Error>());
/// let io = AuthError::from_error(std::io::Error::other("connection refused"));
/// assert!(io.is::<std::io::Error>());
/// ```
#[derive(Clone)]
pub struct AuthError {
    source: Arc<dyn StdError + Send + Sync>,
}

#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

impl AuthError {
    /// An error with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            source: Arc::new(Message(message.into())),
        }
    }

    /// An error whose type a fallback can test with [`is`](Self::is).
    pub fn from_error<E: StdError + Send + Sync + 'static>(error: E) -> Self {
        Self {
            source: Arc::new(error),
        }
    }

    /// The message (Ktor's `cause.message`).
    pub fn message(&self) -> String {
        self.source.to_string()
    }

    /// Whether the error is a `T` (Kotlin's `cause is T`).
    pub fn is<T: StdError + 'static>(&self) -> bool {
        self.source.is::<T>()
    }

    /// The error as a `T`, if it is one.
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        self.source.downcast_ref::<T>()
    }
}

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.source, f)
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.source, f)
    }
}

impl StdError for AuthError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

/// A challenge: what runs when its provider's failure is the one answered (Ktor's
/// `context.challenge(key, cause) { .. }`). It responds through the [`AuthCall`]; if it does
/// not, the answer is `401` with an empty body.
pub struct Challenge(Box<dyn FnOnce(AuthCall) -> BoxFuture<'static, ()> + Send>);

impl Challenge {
    /// A challenge running `f`.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: FnOnce(AuthCall) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        Self(Box::new(move |call| Box::pin(f(call))))
    }

    pub(crate) async fn run(self, call: AuthCall) {
        (self.0)(call).await;
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Challenge")
    }
}

/// A provider's failure: its cause and, for non-`Error` causes usually, a challenge (Ktor's
/// `context.challenge(..)`); a failure without one is Ktor's `context.error(..)`.
#[derive(Debug)]
pub struct Failure {
    pub(crate) cause: AuthenticationFailedCause,
    pub(crate) challenge: Option<Challenge>,
}

impl Failure {
    /// A failure recorded without a challenge (Ktor's `context.error(key, cause)`).
    pub fn new(cause: AuthenticationFailedCause) -> Self {
        Self {
            cause,
            challenge: None,
        }
    }

    /// A failure with a challenge (Ktor's `context.challenge(key, cause) { .. }`).
    pub fn with_challenge(cause: AuthenticationFailedCause, challenge: Challenge) -> Self {
        Self {
            cause,
            challenge: Some(challenge),
        }
    }

    /// The cause.
    pub fn cause(&self) -> &AuthenticationFailedCause {
        &self.cause
    }
}

/// A named authentication provider, as Ktor's `AuthenticationProvider`: it finds credentials in
/// the request, and either stores a principal in the request's extensions (as
/// [`Principal<T>`](super::Principal), see [`AuthContext::set_principal`]) and returns `Ok`, or
/// reports a [`Failure`]. The built-in providers implement it; an application registers its
/// own with [`AuthenticationConfig::provider`](super::AuthenticationConfig::provider).
pub trait AuthenticationProvider: Send + Sync + 'static {
    /// Authenticates the request in `cx`.
    fn authenticate<'a>(&'a self, cx: &'a mut AuthContext) -> BoxFuture<'a, Result<(), Failure>>;

    /// Authenticates the request in `cx` without waiting if this provider can: the call of an
    /// `authenticate(..)` route tries this first, and awaits [`authenticate`](Self::authenticate)
    /// only for [`Attempt::Async`] (the default). The built-in credential providers decide here
    /// when their `validate` is ready at once.
    fn attempt(&self, cx: &mut AuthContext) -> Attempt {
        let _ = cx;
        Attempt::Async
    }
}

/// What [`AuthenticationProvider::attempt`] did.
pub enum Attempt {
    /// Decided: `Ok` with the principal set in the context, or the failure.
    Done(Result<(), Failure>),
    /// Started and waiting; the future's [`Settle`] is then applied to the context (it sets the
    /// principal).
    Wait(BoxFuture<'static, Result<Settle, Failure>>),
    /// Not tried: await [`authenticate`](AuthenticationProvider::authenticate).
    Async,
}

impl fmt::Debug for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Done(result) => f.debug_tuple("Done").field(result).finish(),
            Self::Wait(_) => f.write_str("Wait"),
            Self::Async => f.write_str("Async"),
        }
    }
}

/// What a waiting [`Attempt`] does to the context once it succeeded, e.g.
/// `Box::new(move |cx| cx.set_principal(principal))`.
pub type Settle = Box<dyn FnOnce(&mut AuthContext) + Send>;

/// The request under authentication, and the call a provider's fallback responds through.
#[derive(Debug)]
pub struct AuthContext {
    request: Request,
    call: Option<AuthCall>,
}

impl AuthContext {
    pub(crate) fn new(request: Request) -> Self {
        Self {
            request,
            call: None,
        }
    }

    pub(crate) fn into_parts(self) -> (Request, Option<AuthCall>) {
        (self.request, self.call)
    }

    /// The request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The request, mutably (a provider that reads the body puts it back).
    pub fn request_mut(&mut self) -> &mut Request {
        &mut self.request
    }

    /// The call, if a provider created it.
    pub(crate) fn existing_call(&self) -> Option<&AuthCall> {
        self.call.as_ref()
    }

    /// Stores `principal` for the route's [`Principal<T>`](super::Principal) extractor.
    pub fn set_principal<T: Clone + Send + Sync + 'static>(&mut self, principal: T) {
        self.request
            .extensions_mut()
            .insert(super::Principal(principal));
    }

    /// The call: request head plus the response a fallback gives, shared by every provider of
    /// this request (created on first use).
    pub fn call(&mut self) -> AuthCall {
        let request = &self.request;
        self.call
            .get_or_insert_with(|| AuthCall::from_request(request))
            .clone()
    }
}

/// The call as a challenge or `fallback` sees it (Ktor's `ApplicationCall` there): the request
/// head, and a response slot. [`respond`](Self::respond) answers the call (the route is then
/// skipped); headers added with [`append_response_header`](Self::append_response_header) are
/// sent with whatever answers it, the `401` included. Cheap to clone.
#[derive(Clone)]
pub struct AuthCall {
    inner: Arc<CallInner>,
}

struct CallInner {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    response: Mutex<CallResponse>,
}

#[derive(Default)]
struct CallResponse {
    headers: HeaderMap,
    response: Option<Response>,
}

impl fmt::Debug for AuthCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthCall")
            .field("method", &self.inner.method)
            .field("uri", &self.inner.uri)
            .field("handled", &self.is_handled())
            .finish_non_exhaustive()
    }
}

impl AuthCall {
    pub(crate) fn from_request(request: &Request) -> Self {
        Self {
            inner: Arc::new(CallInner {
                method: request.method().clone(),
                uri: request.uri().clone(),
                headers: request.headers().clone(),
                response: Mutex::default(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CallResponse> {
        self.inner
            .response
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// The request URI (path and query; absolute for HTTP/2).
    pub fn uri(&self) -> &Uri {
        &self.inner.uri
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The first value of request header `name`, if it is valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers.get(name)?.to_str().ok()
    }

    /// The host and port the client addressed: the URI authority (HTTP/2), else `Host`.
    pub fn host(&self) -> Option<&str> {
        match self.inner.uri.authority() {
            Some(a) => Some(a.as_str()),
            None => self.header(header::HOST.as_str()),
        }
    }

    /// Answers the call with `response` (anything a handler can return). The first answer wins;
    /// a second one is ignored (Ktor throws there).
    pub fn respond(&self, response: impl IntoResponse) {
        let mut state = self.state();
        if state.response.is_some() {
            tracing::warn!(
                "authentication: the call was already answered; ignoring a second response"
            );
            return;
        }
        state.response = Some(response.into_response());
    }

    /// Answers `302 Found` to `location` (Ktor's `respondRedirect`). A location that is not a
    /// valid header value answers `500`.
    pub fn respond_redirect(&self, location: &str) {
        match HeaderValue::try_from(location) {
            Ok(value) => self.respond((StatusCode::FOUND, [(header::LOCATION, value)])),
            Err(_) => self.respond((
                StatusCode::INTERNAL_SERVER_ERROR,
                "redirect location is not a valid header value",
            )),
        }
    }

    /// Adds a header to whatever answers the call (the `401` included).
    pub fn append_response_header<K, V>(&self, name: K, value: V) -> Result<(), http::Error>
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        let name = HeaderName::try_from(name).map_err(Into::into)?;
        let value = HeaderValue::try_from(value).map_err(Into::into)?;
        self.state().headers.append(name, value);
        Ok(())
    }

    /// Whether the call was answered.
    pub fn is_handled(&self) -> bool {
        self.state().response.is_some()
    }

    /// The answer (if any) with the call's headers added; `None` leaves the headers in place
    /// for [`finish`](Self::finish).
    pub(crate) fn take_response(&self) -> Option<Response> {
        let mut state = self.state();
        let mut response = state.response.take()?;
        merge_headers(&mut response, std::mem::take(&mut state.headers));
        Some(response)
    }

    /// The call's answer, or `otherwise` — with the call's headers either way.
    pub(crate) fn finish(&self, otherwise: impl FnOnce() -> Response) -> Response {
        let mut state = self.state();
        let mut response = state.response.take().unwrap_or_else(otherwise);
        merge_headers(&mut response, std::mem::take(&mut state.headers));
        response
    }
}

fn merge_headers(response: &mut Response, headers: HeaderMap) {
    let mut last = None;
    for (name, value) in headers {
        if let Some(name) = name {
            last = Some(name);
        }
        if let Some(name) = &last {
            response.headers_mut().append(name.clone(), value);
        }
    }
}

/// `401 Unauthorized` with an empty body (Ktor's `UnauthorizedResponse()`).
pub(crate) fn unauthorized() -> Response {
    StatusCode::UNAUTHORIZED.into_response()
}
