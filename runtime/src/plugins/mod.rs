//! Server plugins, one module each, each installed with `app.install(install!(Name { .. }))`.
//!
//! | plugin | module | feature |
//! |---|---|---|
//! | `Compression` | `compression` | `compression` |
//! | `HttpRequestLifecycle` | `lifecycle` | — |
//! | `Authentication` | `auth` | `auth` (OAuth: `auth-oauth`) |
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::lifecycle::HttpRequestLifecycle, Application};
//!
//! let mut app = Application::new(());
//! app.install(HttpRequestLifecycle::configure(|cfg| {
//!     cfg.cancel_call_on_close(true);
//! }))
//! .unwrap();
//! assert!(app.is_installed("HttpRequestLifecycle"));
//! ```

#[cfg(any(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
#[cfg_attr(
    docsrs,
    doc(cfg(any(
        feature = "compression-zstd",
        feature = "compression-gzip",
        feature = "compression-br"
    )))
)]
pub mod compression;

#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub mod auth;
pub mod lifecycle;
