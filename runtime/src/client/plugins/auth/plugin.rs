//! The request flow of the [`Auth`](super::Auth) plugin, a send interceptor (Ktor's
//! `Auth.kt`):
//!
//! 1. Every provider that is for the request's URL and wants to `send_without_request` adds its
//!    credentials; the provider's token **version** is remembered for this request.
//! 2. The request is sent. A response that is not a rejection (`re_authorize_on_response`,
//!    default: `401`), or any response to a request marked with
//!    [`AuthCircuitBreaker`](super::AuthCircuitBreaker), is returned as is.
//! 3. Otherwise a provider is chosen among those for the URL not tried yet: the only one (with or
//!    without a matching `WWW-Authenticate`), or the first that
//!    [`is_applicable`](super::AuthProvider::is_applicable) to one of the challenges.
//! 4. If the rejected request carried that provider's credentials at the current version, the
//!    provider refreshes them, under a per-provider lock: concurrent rejections of the same
//!    version make **one** refresh, the others just retry with its result. A failed refresh
//!    returns the rejection.
//! 5. The request is sent again with fresh credentials, unless its body was a stream (which cannot
//!    be replayed): then the rejection is returned. Each provider is tried at most once.
//!
//! Per call, the plugin costs one boxed future and no other allocation when a Bearer token is
//! cached: step 1 then runs before the box is made (the host scope checked once, the token read
//! once, its `Authorization` value shared), the request's header map goes to the engine as it is,
//! and the box ([`Call`]) holds the engine's future next to the request, whose headers are kept
//! as reference-counted clones for a retry. Steps 3-5 run in a box of their own.
use std::{
    any::Any,
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    task::{ready, Context, Poll},
    time::Duration,
};

use http::{header::HeaderName, HeaderMap, HeaderValue};
use smallvec::{smallvec, SmallVec};

use super::{
    bearer::{BearerAuthProvider, Cached},
    challenge::AuthChallenge,
    provider::AuthProvider,
};
use crate::client::{
    body::HttpResponse,
    error::ClientError,
    plugins::{BoxFuture, Next, SendInterceptor},
    request::{Attributes, Headers, HttpRequestBuilder, RequestBody},
    url::UrlBuilder,
};

/// Decides whether a response rejects the credentials.
pub(crate) type ReAuthorize = Arc<dyn Fn(&HttpResponse) -> bool + Send + Sync>;

/// A provider with its token version and its refresh lock.
pub(crate) struct Slot {
    pub(crate) provider: Arc<dyn AuthProvider>,
    /// The provider again when it is the built-in Bearer one, whose cached token is added
    /// without a (boxed) future.
    bearer: Option<Arc<BearerAuthProvider>>,
    version: AtomicU64,
    refresh: tokio::sync::Mutex<()>,
}

impl Slot {
    pub(crate) fn new(provider: Arc<dyn AuthProvider>) -> Self {
        let any: Arc<dyn Any + Send + Sync> = provider.clone();
        Self {
            bearer: any.downcast().ok(),
            provider,
            version: AtomicU64::new(0),
            refresh: tokio::sync::Mutex::new(()),
        }
    }
}

/// The installed plugin: its providers and its rejection test.
pub(crate) struct AuthState {
    pub(crate) slots: Vec<Slot>,
    pub(crate) re_authorize: Option<ReAuthorize>,
}

/// The send interceptor the plugin registers.
pub(crate) struct AuthInterceptor(pub(crate) Arc<AuthState>);

impl AuthState {
    fn rejects(&self, response: &HttpResponse) -> bool {
        match &self.re_authorize {
            Some(f) => f(response),
            None => response.status() == http::StatusCode::UNAUTHORIZED,
        }
    }
}

impl SendInterceptor for AuthInterceptor {
    fn intercept(
        &self,
        mut request: HttpRequestBuilder,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>> {
        if request.is_refresh_token_request() {
            return Box::pin(next.run(request));
        }
        let state = self.0.clone();
        let mut sent_with: SentWith = smallvec![NOT_SENT; state.slots.len()];
        let pending = state.credentials_now(&mut request, &mut sent_with, 0).err();
        if pending.is_none() && !next.client.intercepted_after(next.index) {
            // Step 1 is done and the engine comes next: send now, the box only waits.
            let headers = std::mem::take(&mut request.headers.map);
            let kept = KeptHeaders::of(&headers);
            // Allocated first and written in one expression, so the call is built in its box
            // as far as the compiler can (not built aside and copied in).
            let boxed = Box::<Call<_>>::new_uninit();
            let call: Pin<Box<Call<_>>> = Box::into_pin(Box::write(
                boxed,
                Call {
                    sending: next.client.send_lent_with_headers(&request, headers),
                    stage: Stage::Waiting(Waiting {
                        state,
                        request: Detached::of(request, kept),
                        next,
                        sent_with,
                    }),
                },
            ));
            return call;
        }
        // The block owns the request and `next` once; `run` borrows them (an `async fn` taking
        // them by value would hold each twice in this boxed, copied future).
        Box::pin(async move { state.run(&mut request, &next, sent_with, pending).await })
    }
}

/// A request whose header map went to the engine: the other parts, and its headers as
/// [`KeptHeaders`]. It holds only what a retry needs, so that the boxed [`Call`] stays small: not
/// the emptied map, nor the request's error or invalid header (a request with either fails
/// before it is sent, and is never retried).
struct Detached {
    method: http::Method,
    url: UrlBuilder,
    attributes: Attributes,
    body: RequestBody,
    timeout: Option<Duration>,
    max_body_size: Option<u64>,
    kept: KeptHeaders,
}

impl Detached {
    #[inline(always)]
    fn of(request: HttpRequestBuilder, kept: KeptHeaders) -> Self {
        let HttpRequestBuilder {
            method,
            url,
            headers: _,
            attributes,
            body,
            timeout,
            max_body_size,
            error: _,
        } = request;
        Self {
            method,
            url,
            attributes,
            body,
            timeout,
            max_body_size,
            kept,
        }
    }

    /// The request again, its headers put back (to send it once more).
    fn restore(self) -> HttpRequestBuilder {
        let mut map = HeaderMap::try_with_capacity(self.kept.0.len()).unwrap_or_default();
        self.kept.restore(&mut map);
        HttpRequestBuilder {
            method: self.method,
            url: self.url,
            headers: Headers { map, invalid: None },
            attributes: self.attributes,
            body: self.body,
            timeout: self.timeout,
            max_body_size: self.max_body_size,
            error: None,
        }
    }
}

/// What a [`Call`] keeps while the engine answers: enough to re-authorize and retry.
struct Waiting {
    state: Arc<AuthState>,
    request: Detached,
    next: Next,
    sent_with: SentWith,
}

/// Where a [`Call`] is.
// `Waiting` is large on purpose: the stage lives in the call's box already, and boxing it again
// would cost an allocation per call.
#[allow(clippy::large_enum_variant)]
enum Stage {
    Waiting(Waiting),
    Reauthorizing(BoxFuture<Result<HttpResponse, ClientError>>),
    Done,
}

pin_project_lite::pin_project! {
    /// A call whose credentials were added without waiting and whose request went to the engine
    /// when it was intercepted: it waits for the engine's answer (`sending`) and, only on a
    /// rejection, re-authorizes in a box of its own. A hand-written future, so that the engine's
    /// future is held once, in place (an `async` block would move it into a second slot to
    /// await it).
    struct Call<S> {
        #[pin]
        sending: S,
        stage: Stage,
    }
}

impl<S> Future for Call<S>
where
    S: Future<Output = Result<HttpResponse, ClientError>>,
{
    type Output = Result<HttpResponse, ClientError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Stage::Reauthorizing(retry) = this.stage {
            return retry.as_mut().poll(cx);
        }
        // The answer is looked at in place and handed on as it came (a response is large, and
        // each move of it a copy) unless it is a rejection.
        let answer = ready!(this.sending.poll(cx));
        let rejected = match (&answer, &*this.stage) {
            (Ok(response), Stage::Waiting(waiting)) => waiting.state.rejects(response),
            _ => false,
        };
        if !rejected {
            *this.stage = Stage::Done;
            return Poll::Ready(answer);
        }
        let (Ok(response), Stage::Waiting(waiting)) =
            (answer, std::mem::replace(this.stage, Stage::Done))
        else {
            return Poll::Ready(Err(ClientError::Runtime(
                "auth call polled after it completed".into(),
            )));
        };
        let Waiting {
            state,
            request,
            next,
            sent_with,
        } = waiting;
        let mut request = request.restore();
        *this.stage = Stage::Reauthorizing(Box::pin(async move {
            state
                .reauthorize(&mut request, &next, response, sent_with)
                .await
        }));
        match this.stage {
            Stage::Reauthorizing(retry) => retry.as_mut().poll(cx),
            _ => Poll::Pending,
        }
    }
}

/// Ktor's `findProvider`: the provider to answer this rejection and the challenge it answers.
fn choose(
    slots: &[Slot],
    candidates: &[usize],
    challenges: &[AuthChallenge],
) -> Option<(usize, Option<AuthChallenge>)> {
    if let [only] = candidates {
        let provider = &slots[*only].provider;
        let challenge = challenges
            .iter()
            .find(|c| provider.is_applicable(c))
            .cloned();
        return Some((*only, challenge));
    }
    challenges.iter().find_map(|challenge| {
        candidates
            .iter()
            .find(|&&i| slots[i].provider.is_applicable(challenge))
            .map(|&i| (i, Some(challenge.clone())))
    })
}

/// The headers of a request whose header map went to the engine, kept for a retry: clones of
/// names and values (reference counts), inline up to four, so the common call allocates nothing
/// for them.
struct KeptHeaders(SmallVec<[(HeaderName, HeaderValue); 4]>);

impl KeptHeaders {
    fn of(map: &HeaderMap) -> Self {
        let mut kept = SmallVec::with_capacity(map.len());
        for (name, value) in map {
            kept.push((name.clone(), value.clone()));
        }
        Self(kept)
    }

    /// Puts the headers back into `map` (the emptied map of the request they were kept from).
    fn restore(self, map: &mut HeaderMap) {
        for (name, value) in self.0 {
            // They all fitted in the request's map before, so they fit again.
            if map.try_append(name, value).is_err() {
                break;
            }
        }
    }
}

/// The first send of a request: [`Next::send`], except that when the engine comes next the
/// request's own header map goes to it (instead of a copy, two allocations) and only
/// [`KeptHeaders`] stay behind, put back if the request is sent again.
async fn send_first(
    next: &Next,
    request: &mut HttpRequestBuilder,
) -> Result<(HttpResponse, Option<KeptHeaders>), ClientError> {
    if next.client.intercepted_after(next.index) {
        return Ok((next.send(request).await?, None));
    }
    let kept = KeptHeaders::of(&request.headers.map);
    let headers = std::mem::take(&mut request.headers.map);
    let response = next.client.send_lent_with_headers(request, headers).await?;
    Ok((response, Some(kept)))
}

/// The token version of each provider whose credentials a request carries, [`NOT_SENT`] for the
/// others.
type SentWith = SmallVec<[u64; 4]>;

/// In [`SentWith`]: the request carries none of that provider's credentials.
const NOT_SENT: u64 = u64::MAX;

impl AuthState {
    /// Step 1 of the [module docs](self) for the providers from `from` on, as far as it goes
    /// without waiting: a cached Bearer token is added at once. `Err(i)`: provider `i` is for the
    /// request and must add its credentials with a future (`run` does, then comes back here).
    fn credentials_now(
        &self,
        request: &mut HttpRequestBuilder,
        sent_with: &mut SentWith,
        from: usize,
    ) -> Result<(), usize> {
        for (i, slot) in self.slots.iter().enumerate().skip(from) {
            let provider = &slot.provider;
            let Some(bearer) = &slot.bearer else {
                if provider.is_for(request) && provider.send_without_request(request) {
                    return Err(i);
                }
                continue;
            };
            if !bearer.send_without_request(request) {
                continue;
            }
            let version = slot.version.load(Ordering::Acquire);
            match bearer.add_cached_header(request) {
                Cached::Sent => sent_with[i] = version,
                Cached::NotFor => {}
                Cached::Load if bearer.is_for(request) => return Err(i),
                Cached::Load => {}
            }
        }
        Ok(())
    }

    /// Steps 1 and 2 for a request whose provider `pending` (see
    /// [`credentials_now`](Self::credentials_now)) and maybe later ones must wait for their
    /// credentials, or that goes to another interceptor: add the credentials, send. Only a
    /// rejection goes on, to [`reauthorize`](Self::reauthorize) in a box of its own.
    async fn run(
        &self,
        request: &mut HttpRequestBuilder,
        next: &Next,
        mut sent_with: SentWith,
        mut pending: Option<usize>,
    ) -> Result<HttpResponse, ClientError> {
        while let Some(i) = pending {
            let slot = &self.slots[i];
            sent_with[i] = slot.version.load(Ordering::Acquire);
            slot.provider.add_request_headers(request, None).await?;
            pending = self.credentials_now(request, &mut sent_with, i + 1).err();
        }
        let (response, kept) = send_first(next, request).await?;
        if !self.rejects(&response) {
            return Ok(response);
        }
        if let Some(kept) = kept {
            kept.restore(&mut request.headers.map);
        }
        Box::pin(self.reauthorize(request, next, response, sent_with)).await
    }

    /// Steps 3 to 5 for a rejected request: choose a provider, refresh once, retry (each
    /// provider at most once).
    async fn reauthorize(
        &self,
        request: &mut HttpRequestBuilder,
        next: &Next,
        mut response: HttpResponse,
        mut sent_with: SentWith,
    ) -> Result<HttpResponse, ClientError> {
        let slots = &self.slots[..];
        let replayable = !matches!(request.body, RequestBody::Channel(_));
        // The providers not tried yet.
        let mut candidates: SmallVec<[usize; 4]> = (0..slots.len())
            .filter(|&i| slots[i].provider.is_for(request))
            .collect();
        loop {
            if candidates.is_empty() {
                return Ok(response);
            }
            let challenges = AuthChallenge::from_headers(response.headers());
            if candidates.len() > 1 && challenges.is_empty() {
                return Ok(response);
            }
            let Some((chosen, challenge)) = choose(slots, &candidates, &challenges) else {
                return Ok(response);
            };
            candidates.retain(|i| *i != chosen);
            let slot = &slots[chosen];

            let version = sent_with[chosen];
            if version != NOT_SENT {
                let _refreshing = slot.refresh.lock().await;
                if slot.version.load(Ordering::Acquire) == version {
                    if !slot
                        .provider
                        .refresh_token(next.client(), &mut response)
                        .await?
                    {
                        return Ok(response);
                    }
                    slot.version.fetch_add(1, Ordering::AcqRel);
                }
            }
            if !replayable {
                return Ok(response);
            }
            // The rejection is dropped unread; the retry's response replaces it.
            drop(response);
            sent_with[chosen] = slot.version.load(Ordering::Acquire);
            slot.provider
                .add_request_headers(request, challenge.as_ref())
                .await?;
            response = next.send(request).await?;
            if !self.rejects(&response) {
                return Ok(response);
            }
        }
    }
}
