//! Server plugins, one module each, each installed with `app.install(install!(Name { .. }))`.
//!
//! | plugin | module | feature |
//! |---|---|---|
//! | `Compression` | `compression` | `compression` |
//! | `HttpRequestLifecycle` | `lifecycle` | — |
//!
//! # Example
//! ```
//! // Plugins are plain values installed on an application.
//! let app = oxtor_runtime::Application::new(());
//! # let _ = app;
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
