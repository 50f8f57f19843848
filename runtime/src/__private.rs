//! Items named by code that `oxtor-macros` generates. Not public API: it may change in any
//! release.
pub use ::axum::{
    extract::{FromRequest, FromRequestParts},
    response::IntoResponse,
    routing::{on, MethodFilter, MethodRouter},
    Router,
};
pub use ::core;

pub use crate::app::{Application, Plugin};
pub use crate::routing::{mount, Blocks, Route, Routes, RoutingBlock};
