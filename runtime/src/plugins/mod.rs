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
pub mod lifecycle;
