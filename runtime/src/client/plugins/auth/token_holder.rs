//! [`AuthTokenHolder`]: the token cache of a provider (Ktor's `AuthTokenHolder`), with Ktor
//! 3.4's cache control.
//!
//! - [`load_token`](AuthTokenHolder::load_token): with caching on (the default) the loader runs
//!   once and its value is reused; concurrent first loads share **one** loader call. A `None`
//!   result is not cached, and an error is not sticky: the next call loads again. With caching
//!   off the loader runs on every call, and a value stored by a refresh is not used by loads.
//! - [`set_token`](AuthTokenHolder::set_token) (a refresh) runs its block only if nobody stored
//!   a token since the call began, or if a load held the holder's lock when it began (the block
//!   then replaces what that load stores, as in Ktor); otherwise it returns the token a
//!   concurrent caller stored. Concurrent refreshes therefore run **one** block (single flight).
//! - A [`load_token`](AuthTokenHolder::load_token) inside the block of a `set_token` of the same
//!   holder (a refresh that asks the same client for its new tokens) does not wait for the lock
//!   that block holds: it loads (and stores) at once, as Ktor's `SetTokenContext` lets it.
//! - [`clear_token`](AuthTokenHolder::clear_token) forgets the token now. A load or refresh that
//!   began before it still runs and returns its value to its own caller, but does not store it.
//!
//! The providers read a cached token without copying it: the holder keeps it in an `Arc`
//! together with the `Authorization` value it is sent as, built on the first request that
//! sends it and then shared by every later one.
//!
//! # Example
//! ```
//! use std::sync::{atomic::{AtomicUsize, Ordering}, Arc};
//! use oxtor_runtime::client::plugins::auth::AuthTokenHolder;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), oxtor_runtime::client::ClientError> {
//! let loads = Arc::new(AtomicUsize::new(0));
//! let counter = loads.clone();
//! let holder = AuthTokenHolder::new(true, move || {
//!     let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
//!     async move { Some(format!("token{n}")) }
//! });
//! assert_eq!(holder.load_token().await?.as_deref(), Some("token1"));
//! assert_eq!(holder.load_token().await?.as_deref(), Some("token1"));
//! holder.clear_token();
//! assert_eq!(holder.load_token().await?.as_deref(), Some("token2"));
//! let refreshed = holder.set_token(|old| async move { Ok(old.map(|t| t + "!")) }).await?;
//! assert_eq!(refreshed.as_deref(), Some("token2!"));
//! assert_eq!(loads.load(Ordering::SeqCst), 2);
//! # Ok(()) }
//! ```
use std::{
    fmt,
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, OnceLock, PoisonError,
    },
};

use futures_util::future::BoxFuture;
use http::HeaderValue;

use crate::client::error::{BoxError, ClientError};

/// What a token loader or refresher may return: `Option<T>` (no token is `None`), or
/// `Result<Option<T>, E>` when it can fail (the error fails the call as [`ClientError::Auth`]).
pub trait TokenResult<T>: Send + 'static {
    /// The result as the holder uses it.
    fn into_token_result(self) -> Result<Option<T>, ClientError>;
}

impl<T: Send + 'static> TokenResult<T> for Option<T> {
    fn into_token_result(self) -> Result<Option<T>, ClientError> {
        Ok(self)
    }
}

impl<T: Send + 'static, E: Into<BoxError> + Send + 'static> TokenResult<T>
    for Result<Option<T>, E>
{
    fn into_token_result(self) -> Result<Option<T>, ClientError> {
        self.map_err(|e| ClientError::Auth(e.into()))
    }
}

/// A type-erased token loader.
pub(crate) type Loader<T> =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Option<T>, ClientError>> + Send + Sync>;

/// Erases `f` into a [`Loader`].
pub(crate) fn loader<T, F, Fut, O>(f: F) -> Loader<T>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = O> + Send + 'static,
    O: TokenResult<T>,
{
    Arc::new(move || {
        let fut = f();
        Box::pin(async move { fut.await.into_token_result() })
    })
}

/// A held token and the `Authorization` value it is sent as (built once, on first use).
pub(crate) struct Held<T> {
    value: T,
    header: OnceLock<Result<HeaderValue, String>>,
}

impl<T> Held<T> {
    fn new(value: T) -> Arc<Self> {
        Arc::new(Self {
            value,
            header: OnceLock::new(),
        })
    }

    /// The header value `text(token)`, built (and marked sensitive) on the first call; `Err`
    /// gives back the text when it is not a valid header value.
    pub(crate) fn header(&self, text: impl FnOnce(&T) -> String) -> Result<&HeaderValue, &str> {
        self.header
            .get_or_init(|| {
                let text = text(&self.value);
                match HeaderValue::from_str(&text) {
                    Ok(mut value) => {
                        value.set_sensitive(true);
                        Ok(value)
                    }
                    Err(_) => Err(text),
                }
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

struct Slot<T> {
    value: Option<Arc<Held<T>>>,
    /// Bumped by every store, so a refresh can tell whether another caller stored a token while
    /// it waited (Ktor compares the token itself).
    stores: u64,
    /// Bumped by every clear: a load or refresh that began before a clear does not store.
    clears: u64,
}

tokio::task_local! {
    /// The holders (by address) whose `set_token` block the current task is running.
    static SETTING: Vec<usize>;
}

/// The token cache of a provider; see the [module docs](self).
pub struct AuthTokenHolder<T> {
    load: Loader<T>,
    cache: bool,
    slot: Mutex<Slot<T>>,
    /// Serializes loads and refreshes (single flight).
    flight: tokio::sync::Mutex<()>,
    /// A load holds `flight` (Ktor's `isLoadRequest`).
    loading: AtomicBool,
}

/// Clears [`AuthTokenHolder::loading`] when the load ends, also by an error or a drop.
struct Loading<'a>(&'a AtomicBool);

impl Drop for Loading<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<T> fmt::Debug for AuthTokenHolder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("AuthTokenHolder")
            .field("cache_tokens", &self.cache)
            .field("loaded", &slot.value.is_some())
            .field("stores", &slot.stores)
            .field("clears", &slot.clears)
            .finish()
    }
}

impl<T: Clone + Send + Sync + 'static> AuthTokenHolder<T> {
    /// A holder whose tokens come from `load`; `cache_tokens` as Ktor's `cacheTokens`.
    pub fn new<F, Fut, O>(cache_tokens: bool, load: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = O> + Send + 'static,
        O: TokenResult<T>,
    {
        Self::with_loader(cache_tokens, loader(load))
    }

    pub(crate) fn with_loader(cache_tokens: bool, load: Loader<T>) -> Self {
        Self {
            load,
            cache: cache_tokens,
            slot: Mutex::new(Slot {
                value: None,
                stores: 0,
                clears: 0,
            }),
            flight: tokio::sync::Mutex::new(()),
            loading: AtomicBool::new(false),
        }
    }

    /// This holder, as [`SETTING`] names it.
    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Whether the current task runs the block of a `set_token` of this holder.
    fn in_set_token(&self) -> bool {
        SETTING
            .try_with(|ids| ids.contains(&self.id()))
            .unwrap_or(false)
    }

    /// Stores `value` unless the token was cleared since `clears` was read.
    fn store(&self, value: Option<Arc<Held<T>>>, clears: u64) {
        let mut slot = self.slot();
        if slot.clears == clears {
            slot.value = value;
            slot.stores += 1;
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot<T>> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether tokens are cached between calls.
    pub fn caches_tokens(&self) -> bool {
        self.cache
    }

    /// The cached token, without loading.
    pub fn get(&self) -> Option<T> {
        self.slot().value.as_ref().map(|held| held.value.clone())
    }

    /// The token: the cached one, or a freshly loaded one (see the [module docs](self)).
    pub async fn load_token(&self) -> Result<Option<T>, ClientError> {
        Ok(self.load_held().await?.map(|held| held.value.clone()))
    }

    /// `f` of the cached token when caching is on, under the holder's lock (so the token is
    /// neither copied nor shared): what [`load_held`](Self::load_held) would give without
    /// waiting (`None`: it has to load).
    pub(crate) fn with_cached<R>(&self, f: impl FnOnce(&Held<T>) -> R) -> Option<R> {
        if !self.cache {
            return None;
        }
        self.slot().value.as_deref().map(f)
    }

    /// [`load_token`](Self::load_token) without copying the token: the cached one is shared.
    pub(crate) async fn load_held(&self) -> Result<Option<Arc<Held<T>>>, ClientError> {
        if !self.cache {
            return Ok((self.load)().await?.map(Held::new));
        }
        let clears = {
            let slot = self.slot();
            if let Some(held) = &slot.value {
                return Ok(Some(held.clone()));
            }
            slot.clears
        };
        if self.in_set_token() {
            // The lock is this task's own `set_token`'s: load without it.
            let loaded = (self.load)().await?.map(Held::new);
            if loaded.is_some() {
                self.store(loaded.clone(), clears);
            }
            return Ok(loaded);
        }
        let _flight = self.flight.lock().await;
        if let Some(held) = &self.slot().value {
            return Ok(Some(held.clone()));
        }
        self.loading.store(true, Ordering::Release);
        let _loading = Loading(&self.loading);
        let loaded = (self.load)().await?.map(Held::new);
        if loaded.is_some() {
            self.store(loaded.clone(), clears);
        }
        Ok(loaded)
    }

    /// Replaces the token with what `block` returns (given the current token), unless another
    /// caller stored a token since this call began and no load held the lock then: that
    /// caller's token is returned and `block` does not run. A `None` from `block` clears the
    /// token. What `block` returns is not stored if the token was cleared since this call
    /// began. A [`load_token`](Self::load_token) inside `block` does not wait for this call's
    /// lock (see the [module docs](self)).
    pub async fn set_token<F, Fut>(&self, block: F) -> Result<Option<T>, ClientError>
    where
        F: FnOnce(Option<T>) -> Fut,
        Fut: Future<Output = Result<Option<T>, ClientError>>,
    {
        let (began, clears) = {
            let slot = self.slot();
            (slot.stores, slot.clears)
        };
        let locked_by_load = self.loading.load(Ordering::Acquire);
        let _flight = self.flight.lock().await;
        let current = {
            let slot = self.slot();
            let current = slot.value.as_ref().map(|held| held.value.clone());
            if slot.stores != began && !locked_by_load {
                return Ok(current);
            }
            current
        };
        let mut setting = SETTING.try_with(Vec::clone).unwrap_or_default();
        setting.push(self.id());
        let new = SETTING.scope(setting, block(current)).await?;
        self.store(new.clone().map(Held::new), clears);
        Ok(new)
    }

    /// Forgets the token: the next [`load_token`](Self::load_token) loads a fresh one.
    pub fn clear_token(&self) {
        let mut slot = self.slot();
        slot.value = None;
        slot.clears += 1;
    }

    /// Runs the loader directly, bypassing the cache and the single-flight lock (a refresh uses
    /// it to find the old tokens when none are cached).
    pub(crate) async fn load_uncached(&self) -> Result<Option<T>, ClientError> {
        (self.load)().await
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        },
        time::Duration,
    };

    use super::AuthTokenHolder;
    use crate::client::ClientError;

    fn counting(cache: bool, delay: Duration) -> (AuthTokenHolder<usize>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let holder = AuthTokenHolder::new(cache, move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                tokio::time::sleep(delay).await;
                Some(n)
            }
        });
        (holder, calls)
    }

    #[tokio::test]
    async fn concurrent_first_loads_share_one_loader_call() {
        let (holder, calls) = counting(true, Duration::from_millis(20));
        let (a, b, c) = tokio::join!(
            holder.load_token(),
            holder.load_token(),
            holder.load_token()
        );
        assert_eq!(
            (a.ok(), b.ok(), c.ok()),
            (Some(Some(1)), Some(Some(1)), Some(Some(1)))
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn without_caching_every_load_calls_the_loader_and_ignores_a_refresh() {
        let (holder, calls) = counting(false, Duration::ZERO);
        assert_eq!(holder.load_token().await.ok(), Some(Some(1)));
        let set = holder.set_token(|_| async { Ok(Some(100)) }).await;
        assert_eq!(set.ok(), Some(Some(100)));
        assert_eq!(holder.load_token().await.ok(), Some(Some(2)));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn none_is_not_cached() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let holder = AuthTokenHolder::<u8>::new(true, move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { None }
        });
        assert_eq!(holder.load_token().await.ok(), Some(None));
        assert_eq!(holder.load_token().await.ok(), Some(None));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_load_error_is_not_sticky() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let holder = AuthTokenHolder::new(true, move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err("load failed")
                } else {
                    Ok(Some(n))
                }
            }
        });
        assert!(matches!(
            holder.load_token().await,
            Err(ClientError::Auth(_))
        ));
        assert_eq!(holder.load_token().await.ok(), Some(Some(1)));
    }

    #[tokio::test]
    async fn concurrent_refreshes_run_one_block_and_share_its_token() {
        let (holder, _) = counting(true, Duration::ZERO);
        let _ = holder.load_token().await;
        let blocks = AtomicUsize::new(0);
        let (holder, blocks) = (&holder, &blocks);
        let refresh = move || async move {
            holder
                .set_token(|old| {
                    blocks.fetch_add(1, Ordering::SeqCst);
                    async move {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(old.map(|v| v + 10))
                    }
                })
                .await
        };
        let (a, b) = tokio::join!(refresh(), refresh());
        assert_eq!((a.ok(), b.ok()), (Some(Some(11)), Some(Some(11))));
        assert_eq!(blocks.load(Ordering::SeqCst), 1);
        assert_eq!(holder.get(), Some(11));
    }

    #[tokio::test]
    async fn a_clear_during_a_load_returns_the_value_but_does_not_store_it() {
        let (holder, _) = counting(true, Duration::from_millis(30));
        let load = holder.load_token();
        let clear = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            holder.clear_token();
        };
        let (loaded, ()) = tokio::join!(load, clear);
        assert_eq!(loaded.ok(), Some(Some(1)));
        assert_eq!(holder.get(), None);
    }

    #[tokio::test]
    async fn a_refresh_error_is_not_sticky() {
        let (holder, _) = counting(true, Duration::ZERO);
        let _ = holder.load_token().await;
        let failed = holder
            .set_token(|_| async { Err(ClientError::Auth("refresh failed".into())) })
            .await;
        assert!(failed.is_err());
        assert_eq!(holder.get(), Some(1));
        let ok = holder
            .set_token(|old| async move { Ok(old.map(|v| v + 1)) })
            .await;
        assert_eq!(ok.ok(), Some(Some(2)));
    }

    #[tokio::test]
    async fn a_load_inside_a_refresh_block_loads_without_waiting_for_the_refresh() {
        let holder = AuthTokenHolder::new(true, || async { Some(1) });
        let result = tokio::time::timeout(
            Duration::from_secs(5),
            holder.set_token(|_| async {
                let loaded = holder.load_token().await?.unwrap_or(0);
                Ok(Some(1 + loaded))
            }),
        )
        .await
        .expect("the load inside the block does not wait for the block's own lock");
        assert_eq!(result.ok(), Some(Some(2)));
        assert_eq!(holder.load_token().await.ok(), Some(Some(2)));
    }

    #[tokio::test]
    async fn a_load_inside_another_holders_refresh_block_still_waits_for_its_own_lock() {
        let (other, _) = counting(true, Duration::ZERO);
        let (holder, calls) = counting(true, Duration::from_millis(20));
        let (loaded, refreshed) = tokio::join!(holder.load_token(), async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            other
                .set_token(|_| async { Ok(holder.load_token().await?.map(|v| v + 10)) })
                .await
        });
        assert_eq!(loaded.ok(), Some(Some(1)));
        assert_eq!(refreshed.ok(), Some(Some(11)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refresh_that_waited_for_a_load_still_runs_its_block() {
        let (holder, _) = counting(true, Duration::from_millis(40));
        let (loaded, refreshed) = tokio::join!(holder.load_token(), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            holder.set_token(|_| async { Ok(Some(100)) }).await
        });
        assert_eq!(loaded.ok(), Some(Some(1)));
        assert_eq!(refreshed.ok(), Some(Some(100)));
        assert_eq!(holder.load_token().await.ok(), Some(Some(100)));
    }

    #[tokio::test]
    async fn a_clear_after_a_queued_refresh_leaves_no_token() {
        let (holder, _) = counting(true, Duration::from_millis(60));
        let (loaded, refreshed, ()) = tokio::join!(
            holder.load_token(),
            async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                holder
                    .set_token(|_| async {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(Some(100))
                    })
                    .await
            },
            async {
                tokio::time::sleep(Duration::from_millis(30)).await;
                holder.clear_token();
            }
        );
        assert_eq!(loaded.ok(), Some(Some(1)));
        assert_eq!(refreshed.ok(), Some(Some(100)));
        assert_eq!(holder.get(), None);
    }
}
