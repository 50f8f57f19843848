//! Items named by code that `oxtor-macros` generates, and nothing else. Not public API: it may
//! change in any release.
pub use ::axum::{
    extract::{FromRequest, FromRequestParts},
    routing::{on, MethodFilter, MethodRouter},
};

#[cfg(feature = "client")]
pub use crate::client::HttpClient;
pub use crate::routing::{mount, Blocks, DirectHandler, Route, RouteGuards, Routes, RoutingBlock};
pub use ::http::Method;

/// What `html_fragment!` and `html_page!` expand to.
#[cfg(feature = "html")]
pub mod html {
    pub use crate::html::splice::{Splice, ViaDisplay, ViaRender};
    pub use crate::html::{HtmlFragment, HtmlPage};
    pub use ::std::string::String;
}

/// What `resources!` expands to.
#[cfg(feature = "resources")]
pub mod resources {
    pub use crate::resources::{EmbeddedFile, Resources};
}
