//! Server plugins, one module each, each installed with `app.install(install!(Name { .. }))`.
//!
//! | plugin | module | feature |
//! |---|---|---|
//! | `Compression` | `compression` | `compression` |
//! | `HttpRequestLifecycle` | `lifecycle` | — |
//! | `Authentication` | `auth` | `auth` (OAuth: `auth-oauth`) |
//! | `StatusPages` | `status_pages` | `status-pages` |
//! | `DefaultHeaders` | `default_headers` | `default-headers` |
//! | `CallLogging` | `call_logging` | `call-logging` |
//! | `CORS` | `cors` | `cors` |
//! | `CallId` | `call_id` | `call-id` |
//! | `XForwardedHeaders` | `forwarded_headers` | `forwarded-headers` |
//! | `HSTS` | `hsts` | `hsts` |
//! | `RequestTimeout` | `timeout` | `request-timeout` |
//! | `RequestBodyLimit` | `body_limit` | `body-limit` |
//! | `AutoHeadResponse` | `auto_head` | `auto-head-response` |
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

#[cfg(feature = "auto-head-response")]
#[cfg_attr(docsrs, doc(cfg(feature = "auto-head-response")))]
pub mod auto_head;
#[cfg(feature = "body-limit")]
#[cfg_attr(docsrs, doc(cfg(feature = "body-limit")))]
pub mod body_limit;
#[cfg(feature = "call-id")]
#[cfg_attr(docsrs, doc(cfg(feature = "call-id")))]
pub mod call_id;
#[cfg(feature = "call-logging")]
#[cfg_attr(docsrs, doc(cfg(feature = "call-logging")))]
pub mod call_logging;
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
#[cfg(feature = "cors")]
#[cfg_attr(docsrs, doc(cfg(feature = "cors")))]
pub mod cors;
#[cfg(feature = "default-headers")]
#[cfg_attr(docsrs, doc(cfg(feature = "default-headers")))]
pub mod default_headers;
#[cfg(feature = "forwarded-headers")]
#[cfg_attr(docsrs, doc(cfg(feature = "forwarded-headers")))]
pub mod forwarded_headers;
#[cfg(feature = "hsts")]
#[cfg_attr(docsrs, doc(cfg(feature = "hsts")))]
pub mod hsts;
pub mod lifecycle;
#[cfg(feature = "status-pages")]
#[cfg_attr(docsrs, doc(cfg(feature = "status-pages")))]
pub mod status_pages;
#[cfg(feature = "request-timeout")]
#[cfg_attr(docsrs, doc(cfg(feature = "request-timeout")))]
pub mod timeout;
