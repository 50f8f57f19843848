//! # oxtor
//!
//! Ktor's declarative plugins for Rust, on the stack Rust services already trust: tokio, hyper,
//! axum and tower. Handlers are annotated with `#[route]`, plugins are installed with
//! `install!(..)`, and the result is a plain `axum::Router` wrapped in plain tower layers.
//!
//! # Example
//! ```
//! use oxtor::prelude::*;
//!
//! let app = Application::new(());
//! # let _ = app;
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use oxtor_macros::{install, route, routing};
#[doc(inline)]
pub use oxtor_runtime::*;

/// Everything an application module usually needs, in one `use oxtor::prelude::*;`.
pub mod prelude {
    #[doc(no_inline)]
    pub use crate::axum::extract::{Path, Query, State};
    #[doc(no_inline)]
    pub use crate::{install, route, routing};
    #[doc(no_inline)]
    pub use oxtor_runtime::{Application, Plugin, Route};
}
