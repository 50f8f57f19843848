//! Items named by code that `oxtor-macros` generates, and nothing else. Not public API: it may
//! change in any release.
pub use ::axum::{
    extract::{FromRequest, FromRequestParts},
    routing::{on, MethodFilter, MethodRouter},
};

#[cfg(feature = "client")]
pub use crate::client::HttpClient;
pub use crate::routing::{mount, Blocks, Route, Routes, RoutingBlock};
