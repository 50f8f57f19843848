//! The OAuth `state`: a signed, expiring, per-flow value, and the PKCE verifier derived from it.
//!
//! `state = nonce "." expiry "." HMAC-SHA256(key, provider, nonce "." expiry)` (base64url): any
//! instance holding the key verifies it, so a flow started on one instance finishes on
//! another. The PKCE verifier is `HMAC-SHA256(key, "pkce", state)`: derived, never sent, so a
//! leaked callback URL (code + state) is useless without the key. A state is accepted once per
//! instance (a replay on the same instance is rejected; across instances the authorization
//! server's single-use code stops it).
use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::errors::OAuth2StateError;

type HmacSha256 = Hmac<Sha256>;

/// More remembered states than this and expired ones are dropped (then, if still full, all).
const REPLAY_CAPACITY: usize = 65_536;

pub(crate) struct StateCodec {
    keyed: HmacSha256,
    ttl: Duration,
    used: Mutex<HashMap<String, u64>>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl StateCodec {
    /// `None` only if HMAC rejected the key (it takes any length).
    pub(crate) fn new(key: &[u8], ttl: Duration) -> Option<Self> {
        Some(Self {
            keyed: HmacSha256::new_from_slice(key).ok()?,
            ttl,
            used: Mutex::default(),
        })
    }

    fn mac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        mac
    }

    /// A fresh state for `provider`.
    pub(crate) fn issue(&self, provider: &str) -> String {
        let nonce = oauth2::CsrfToken::new_random();
        let payload = format!("{}.{:x}", nonce.secret(), now_secs() + self.ttl.as_secs());
        let tag = self
            .mac(&[
                b"oxtor-oauth-state",
                provider.as_bytes(),
                payload.as_bytes(),
            ])
            .finalize()
            .into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Checks `state` was issued for `provider` with this key, is not expired, and was not
    /// used on this instance before; marks it used.
    pub(crate) fn verify(&self, provider: &str, state: &str) -> Result<(), OAuth2StateError> {
        let (payload, tag) = state.rsplit_once('.').ok_or(OAuth2StateError::Malformed)?;
        let (_, expiry) = payload.split_once('.').ok_or(OAuth2StateError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| OAuth2StateError::Malformed)?;
        self.mac(&[
            b"oxtor-oauth-state",
            provider.as_bytes(),
            payload.as_bytes(),
        ])
        .verify_slice(&tag)
        .map_err(|_| OAuth2StateError::Forged)?;
        let expiry = u64::from_str_radix(expiry, 16).map_err(|_| OAuth2StateError::Malformed)?;
        let now = now_secs();
        if expiry < now {
            return Err(OAuth2StateError::Expired);
        }
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        if used.contains_key(state) {
            return Err(OAuth2StateError::Replayed);
        }
        if used.len() >= REPLAY_CAPACITY {
            used.retain(|_, exp| *exp >= now);
            if used.len() >= REPLAY_CAPACITY {
                used.clear();
            }
        }
        used.insert(state.to_owned(), expiry);
        Ok(())
    }

    /// The PKCE verifier of the flow `state` identifies (43 base64url characters).
    pub(crate) fn pkce_verifier(&self, state: &str) -> String {
        let tag = self
            .mac(&[b"oxtor-oauth-pkce", state.as_bytes()])
            .finalize()
            .into_bytes();
        URL_SAFE_NO_PAD.encode(tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(key: &[u8], ttl: u64) -> StateCodec {
        StateCodec::new(key, Duration::from_secs(ttl)).unwrap()
    }

    #[test]
    fn issued_state_verifies_on_another_instance_with_the_same_key() {
        let state = codec(b"k1", 60).issue("login");
        assert_eq!(codec(b"k1", 60).verify("login", &state), Ok(()));
    }

    #[test]
    fn state_verifies_once_per_instance() {
        let c = codec(b"k1", 60);
        let state = c.issue("login");
        assert_eq!(c.verify("login", &state), Ok(()));
        assert_eq!(c.verify("login", &state), Err(OAuth2StateError::Replayed));
    }

    #[test]
    fn other_key_or_provider_is_forged() {
        let state = codec(b"k1", 60).issue("login");
        assert_eq!(
            codec(b"k2", 60).verify("login", &state),
            Err(OAuth2StateError::Forged)
        );
        assert_eq!(
            codec(b"k1", 60).verify("other", &state),
            Err(OAuth2StateError::Forged)
        );
    }

    #[test]
    fn tampered_expiry_is_forged_and_garbage_is_malformed() {
        let c = codec(b"k1", 60);
        let state = c.issue("login");
        let mut parts: Vec<&str> = state.split('.').collect();
        parts[1] = "ffffffffff";
        assert_eq!(
            c.verify("login", &parts.join(".")),
            Err(OAuth2StateError::Forged)
        );
        assert_eq!(c.verify("login", "state"), Err(OAuth2StateError::Malformed));
        assert_eq!(
            c.verify("login", "a.b.!!"),
            Err(OAuth2StateError::Malformed)
        );
    }

    #[test]
    fn expired_state_is_rejected() {
        let c = codec(b"k1", 0);
        let payload = format!("nonce.{:x}", now_secs() - 1);
        let tag = c
            .mac(&[b"oxtor-oauth-state", b"login", payload.as_bytes()])
            .finalize()
            .into_bytes();
        let state = format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag));
        assert_eq!(c.verify("login", &state), Err(OAuth2StateError::Expired));
    }

    #[test]
    fn pkce_verifier_is_stable_per_state_and_rfc_sized() {
        let c = codec(b"k1", 60);
        let v = c.pkce_verifier("s1");
        assert_eq!(v, codec(b"k1", 60).pkce_verifier("s1"));
        assert_ne!(v, c.pkce_verifier("s2"));
        assert!((43..=128).contains(&v.len()));
    }
}
