//! `GET /resource` and `GET /static/{*path}`: files embedded at build time from `resources/`
//! (htmx included), precompressed with zstd and brotli.
use axum::{response::Response, Router};
use http::HeaderMap;
use oxtor::{prelude::*, resources::ResourceError};

/// The `resources/` folder, embedded in the binary.
pub(crate) static RES: Resources = resources!("resources");

/// Ktor's `call.respondResource("public/index.html")`, negotiated with the request's headers
/// (precompressed variant, `304`, ranges).
#[route(GET, "/resource")]
async fn resource(headers: HeaderMap) -> Result<Response, ResourceError> {
    Ok(respond_resource(&RES, "public/index.html")?.respond_to(&headers))
}

/// `/resource` and `/static/..` (the `public/` folder).
pub(crate) fn routes() -> Router {
    let router: Router = routing! { resource };
    router.merge(static_resources("/static", &RES, "public"))
}
