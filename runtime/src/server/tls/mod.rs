//! HTTPS: key stores and trust stores read from Ktor's `ktor.security.ssl.*` keys, served by
//! rustls (ring), with mutual TLS, the enabled protocol versions, ALPN `h2` + `http/1.1`, and
//! reload without restart.
//!
//! - [`TlsSettings`] holds the keys: `keyStore` (PKCS#12 `.p12`/`.pfx`, JKS, or a PEM file with
//!   the chain and an unencrypted key — told apart by content), `keyAlias` (default `mykey`),
//!   `keyStorePassword`, `privateKeyPassword` (both required for PKCS#12 and JKS, as in Ktor),
//!   `trustStore` (PEM bundle, PKCS#12 or JKS), `trustStorePassword`, `enabledProtocols`
//!   (`TLSv1.2`, `TLSv1.3`), and oxtor's `clientAuth` (`required` by default as in Ktor, or
//!   `optional`) and `watchInterval`.
//! - [`Tls::load`] reads the stores and checks them before anything listens: a missing file, a
//!   wrong password, an unknown alias, a key that does not match its certificate, an expired
//!   certificate, a CA certificate used as the server's, an unreadable trust store — each is a
//!   [`TlsError`] naming the config key and the file.
//! - A [`Tls`] is a [`StreamWrapper`] for one
//!   [`Connector`](crate::server::Connector): the engine serves plain and TLS connectors side by
//!   side (`ktor.deployment.port` and `sslPort`). The client's verified chain reaches handlers
//!   as the [`PeerCertificates`] extractor.
//! - [`Tls::reload`] re-reads both stores; a bad or mismatched replacement is logged and the
//!   last good one stays in service; open connections are untouched.
//!   [`Tls::spawn_reloader`] reloads on SIGHUP and, with `watchInterval`, when the files change
//!   ([`EngineMain`](crate::config::EngineMain) starts it for you).
//!
//! Ktor serves a trust store's clients with `needClientAuth`; oxtor adds `clientAuth = optional`.
//!
//! Stores as Java writes them: an EC (P-256, P-384) key without its optional public key, as
//! `keytool` writes it, gets the public key derived from the private one (ring needs it); a
//! PKCS#12 key is decrypted with `privateKeyPassword` (the store's MAC with `keyStorePassword`);
//! a JKS trust store without `trustStorePassword` is read without its integrity check, as
//! Java's `KeyStore.load(stream, null)` does. RSA keys under 2048 bits (Ktor's `buildKeyStore`
//! makes 1024-bit ones) are refused at load: ring does not support them.
//!
//! # Example
//! ```
//! use oxtor_runtime::server::tls::{Tls, TlsSettings, TlsErrorKind};
//!
//! // Nothing listens half-configured: a bad store stops the start-up with the key and the file.
//! let err = Tls::load(TlsSettings::new("missing/server.p12")).unwrap_err();
//! assert_eq!(err.key(), "ktor.security.ssl.keyStore");
//! assert_eq!(err.kind(), TlsErrorKind::Unreadable);
//! assert!(err.to_string().contains("missing/server.p12"));
//! ```
//!
//! Serving HTTP and HTTPS side by side, by hand (`scripts/dev-certs DIR` makes the files):
//! ```no_run
//! use oxtor_runtime::{server::{tls::{Tls, TlsSettings}, Connector, Server, ServerConfig}, Application};
//!
//! # async fn run(app: Application<()>) -> oxtor_runtime::Result<()> {
//! let tls = Tls::load(
//!     TlsSettings::new("certs/server.p12")
//!         .key_store_password("changeit")
//!         .private_key_password("changeit")
//!         .trust_store("certs/ca.pem"),
//! )?;
//! tls.spawn_reloader();
//! Server::new(app, ServerConfig::local(8080))
//!     .connector(Connector::https("127.0.0.1", 8443, tls))
//!     .run()
//!     .await
//! # }
//! ```
use std::{
    sync::{Arc, RwLock, Weak},
    time::SystemTime,
};

use tokio_rustls::TlsAcceptor;

use super::hooks::{
    BoxedIo, ConnectionInfo, SecureConnection, StreamWrapper, WrapFuture, WrappedStream,
};

mod build;
mod error;
mod key;
mod peer;
mod settings;
mod store;

#[doc(inline)]
pub use error::{TlsError, TlsErrorKind};
#[doc(inline)]
pub use peer::{MissingPeerCertificates, PeerCertificates};
#[doc(inline)]
pub use settings::{ClientAuth, TlsProtocol, TlsSettings, DEFAULT_KEY_ALIAS};

/// A loaded, reloadable TLS configuration: the stream wrapper of an HTTPS connector. Cloning
/// shares it (a reload is seen by every clone). See the [module docs](self).
#[derive(Clone)]
pub struct Tls {
    inner: Arc<Inner>,
}

struct Inner {
    settings: TlsSettings,
    current: RwLock<Arc<rustls::ServerConfig>>,
    /// What the watched files looked like at the last load.
    stamp: std::sync::Mutex<Vec<Option<(SystemTime, u64)>>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Reads and checks the stores of `settings`.
    pub fn load(settings: TlsSettings) -> Result<Self, TlsError> {
        let stamp = stamp(&settings);
        let config = build::server_config(&settings)?;
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                current: RwLock::new(config),
                stamp: std::sync::Mutex::new(stamp),
            }),
        })
    }

    /// The settings it was loaded from.
    pub fn settings(&self) -> &TlsSettings {
        &self.inner.settings
    }

    /// Re-reads the key store and the trust store. On success new handshakes use them; on
    /// failure the error is logged (`warn`) and returned, and the previous ones stay in service.
    /// Connections already open keep theirs either way.
    pub fn reload(&self) -> Result<(), TlsError> {
        let stamp = stamp(&self.inner.settings);
        if let Ok(mut last) = self.inner.stamp.lock() {
            *last = stamp;
        }
        match build::server_config(&self.inner.settings) {
            Ok(config) => {
                match self.inner.current.write() {
                    Ok(mut current) => *current = config,
                    Err(poisoned) => *poisoned.into_inner() = config,
                }
                tracing::info!(key_store = %self.inner.settings.key_store.display(), "TLS stores reloaded");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS reload failed; the previous certificate stays in service");
                Err(e)
            }
        }
    }

    /// The rustls configuration new connections get.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        match self.inner.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Starts reloading in the background: on SIGHUP (Unix), and every
    /// [`watch_interval`](TlsSettings::watch_interval) when a store file changed. The tasks end
    /// once every clone of this `Tls` is dropped (checked at their next wake-up). Needs a tokio
    /// runtime.
    pub fn spawn_reloader(&self) {
        #[cfg(unix)]
        {
            let weak = Arc::downgrade(&self.inner);
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                Ok(mut hangups) => {
                    tokio::spawn(async move {
                        while hangups.recv().await.is_some() {
                            let Some(tls) = upgrade(&weak) else { break };
                            tracing::info!("SIGHUP: reloading the TLS stores");
                            let _ = tls.reload();
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGHUP; TLS reload on SIGHUP is off")
                }
            }
        }
        if let Some(interval) = self.inner.settings.watch_interval {
            let weak = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(interval);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    let Some(tls) = upgrade(&weak) else { break };
                    let now = stamp(&tls.inner.settings);
                    let changed = tls
                        .inner
                        .stamp
                        .lock()
                        .map(|last| *last != now)
                        .unwrap_or(true);
                    if changed {
                        tracing::info!("TLS store files changed: reloading");
                        let _ = tls.reload();
                    }
                }
            });
        }
    }
}

fn upgrade(weak: &Weak<Inner>) -> Option<Tls> {
    weak.upgrade().map(|inner| Tls { inner })
}

/// Modification time and length of each store file (`None` when unreadable).
fn stamp(settings: &TlsSettings) -> Vec<Option<(SystemTime, u64)>> {
    std::iter::once(settings.key_store.as_path())
        .chain(settings.trust_store.as_deref())
        .map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

impl StreamWrapper for Tls {
    fn wrap(&self, io: BoxedIo, _conn: &ConnectionInfo) -> WrapFuture {
        let acceptor = TlsAcceptor::from(self.server_config());
        Box::pin(async move {
            let stream = acceptor.accept(io).await?;
            let mut extensions = http::Extensions::new();
            extensions.insert(SecureConnection);
            let (_, session) = stream.get_ref();
            if let Some(peer) = session
                .peer_certificates()
                .and_then(|chain| PeerCertificates::new(chain.to_vec()))
            {
                extensions.insert(peer);
            }
            Ok(WrappedStream {
                io: Box::new(stream),
                extensions,
            })
        })
    }
}
