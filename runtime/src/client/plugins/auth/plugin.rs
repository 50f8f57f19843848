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
//! Per call, the plugin costs no boxed future when a Bearer token is cached, and no allocation
//! when the request's only header is its `Authorization` (one for the kept clones of more):
//! step 1 runs in [`SendInterceptor::prepare`] (the host scope checked once, the token read
//! once, its `Authorization` value shared), the send chain keeps the request in the caller's
//! future and only shows the response to [`SendInterceptor::accepts`]; the memo it carries is
//! the version of the token sent (see [`Memo`]). Steps 3-5 run in a box of their own
//! ([`SendInterceptor::rejected`]). When credentials have to be loaded (with a future), or more
//! than one provider sent some, [`SendInterceptor::intercept`] runs the whole flow in a box.
use std::{
    any::Any,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use smallvec::{smallvec, SmallVec};

use super::{
    bearer::{BearerAuthProvider, Cached},
    challenge::AuthChallenge,
    provider::AuthProvider,
};
use crate::client::{
    body::HttpResponse,
    error::ClientError,
    plugins::{BoxFuture, Next, Prepared, SendInterceptor},
    request::{HttpRequestBuilder, RequestBody},
    send::KeptHeaders,
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
    fn prepare(&self, request: &mut HttpRequestBuilder) -> Prepared {
        if request.is_refresh_token_request() {
            return Prepared::Forward(Memo::REFRESH.0);
        }
        let state = &self.0;
        let mut sent_with: SentWith = smallvec![NOT_SENT; state.slots.len()];
        if state.credentials_now(request, &mut sent_with, 0).is_err() {
            return Prepared::Intercept;
        }
        match Memo::of(&sent_with) {
            Some(memo) => Prepared::Forward(memo.0),
            None => Prepared::Intercept,
        }
    }

    fn accepts(&self, memo: u64, response: &HttpResponse) -> bool {
        memo == Memo::REFRESH.0 || !self.0.rejects(response)
    }

    fn rejected(
        &self,
        memo: u64,
        mut request: HttpRequestBuilder,
        response: HttpResponse,
        next: Next,
    ) -> BoxFuture<Result<HttpResponse, ClientError>> {
        let state = self.0.clone();
        let sent_with = Memo(memo).sent_with(state.slots.len());
        Box::pin(async move {
            state
                .reauthorize(&mut request, &next, response, sent_with)
                .await
        })
    }

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
        // The block owns the request and `next` once; `run` borrows them (an `async fn` taking
        // them by value would hold each twice in this boxed, copied future).
        Box::pin(async move { state.run(&mut request, &next, sent_with, pending).await })
    }
}

/// The memo of a request the plugin forwarded from its fast path: which provider's credentials
/// it carries and at which token version (`(index + 1) << 48 | version`), `0` for none, or
/// [`Memo::REFRESH`] for a token refresh request (never re-authorized).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Memo(u64);

impl Memo {
    const REFRESH: Memo = Memo(u64::MAX);
    const VERSION_BITS: u32 = 48;

    /// The memo of `sent_with`; `None` when it does not fit (credentials of more than one
    /// provider, or a version past 2^48): the request then takes the boxed path.
    fn of(sent_with: &[u64]) -> Option<Self> {
        let mut memo = Memo(0);
        for (i, &version) in sent_with.iter().enumerate() {
            if version == NOT_SENT {
                continue;
            }
            let index = u64::try_from(i).ok()?;
            if memo.0 != 0 || version >> Self::VERSION_BITS != 0 || index >= 0xfffe {
                return None;
            }
            memo = Memo((index + 1) << Self::VERSION_BITS | version);
        }
        Some(memo)
    }

    /// The [`SentWith`] of `slots` providers this memo stands for.
    fn sent_with(self, slots: usize) -> SentWith {
        let mut sent_with: SentWith = smallvec![NOT_SENT; slots];
        if self != Self::REFRESH && self.0 != 0 {
            let index = (self.0 >> Self::VERSION_BITS) - 1;
            let version = self.0 & ((1 << Self::VERSION_BITS) - 1);
            if let Some(slot) = usize::try_from(index)
                .ok()
                .and_then(|i| sent_with.get_mut(i))
            {
                *slot = version;
            }
        }
        sent_with
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

#[cfg(test)]
mod tests {
    use super::{Memo, NOT_SENT};

    #[test]
    fn a_memo_gives_back_the_provider_and_version_it_was_made_of() {
        let memo = Memo::of(&[NOT_SENT, 7, NOT_SENT]).expect("fits");
        assert_eq!(memo.sent_with(3).as_slice(), &[NOT_SENT, 7, NOT_SENT]);
        let none = Memo::of(&[NOT_SENT, NOT_SENT]).expect("fits");
        assert_eq!(none.sent_with(2).as_slice(), &[NOT_SENT, NOT_SENT]);
    }

    #[test]
    fn credentials_of_two_providers_or_a_huge_version_do_not_fit_a_memo() {
        assert_eq!(Memo::of(&[1, 2]), None);
        assert_eq!(Memo::of(&[1 << 48]), None);
    }
}
