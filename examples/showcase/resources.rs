//! `GET /resource` and `GET /static/{*path}`: files embedded at build time from `resources/`
//! (htmx included), precompressed with zstd and brotli.
use axum::response::Response;
use http::HeaderMap;
use oxtor::{prelude::*, resources::ResourceError, routing::Routes};

/// The `resources/` folder, embedded in the binary.
pub(crate) static RES: Resources = resources!("resources");

/// Ktor's `call.respondResource("public/index.html")`, negotiated with the request's headers
/// (precompressed variant, `304`, ranges).
#[route(GET, "/resource")]
async fn resource(headers: HeaderMap) -> Result<Response, ResourceError> {
    Ok(respond_resource(&RES, "public/index.html")?.respond_to(&headers))
}

/// `/resource` and `/static/..` (the `public/` folder).
pub(crate) fn routes() -> Routes {
    let routes: Routes = routing! { resource };
    routes.merge(static_resources("/static", &RES, "public"))
}
