//! [`static_resources`]: a route group serving a folder of a [`Resources`] set.
use std::sync::Arc;

use axum::{
    extract::Path,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use http::{HeaderMap, StatusCode};

use super::{path::normalize, Resources};

/// Serves the files under `folder` of `resources` at `prefix`: `GET`/`HEAD
/// {prefix}/{*path}`, plus `{prefix}` and `{prefix}/` for `folder/index.html`.
///
/// The path is normalised as for [`respond_resource`](super::respond_resource) (`~` segments,
/// Windows device names, reserved characters and trailing dots and spaces go; see the [module
/// docs](super)). A directory answers its `index.html`; a missing file is `404 Not Found`; a
/// `..` segment is `400 Bad Request` (also percent-encoded, `%2e%2e`, or with backslashes);
/// nothing outside the embedded set is ever served. Each file is answered by [`Resource::respond_to`]: precompressed
/// variants, `ETag`/`Last-Modified`, `304`, single ranges.
///
/// Merge the result into the application's routes (`app.routing(static_resources(..))`, or
/// `Router::merge`).
///
/// [`Resource::respond_to`]: super::Resource::respond_to
pub fn static_resources<S>(prefix: &str, resources: &'static Resources, folder: &str) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    // The prefix is taken literally: braces are escaped so they are not route parameters.
    let prefix = prefix
        .trim_end_matches('/')
        .replace('{', "{{")
        .replace('}', "}}");
    let prefix = if prefix.starts_with('/') {
        prefix
    } else {
        format!("/{prefix}")
    };
    let folder: Arc<str> = Arc::from(folder.trim_matches(['/', '\\']));
    let index = {
        let folder = folder.clone();
        move |headers: HeaderMap| {
            let folder = folder.clone();
            async move { serve(resources, &folder, "", &headers) }
        }
    };
    let file = move |Path(path): Path<String>, headers: HeaderMap| {
        let folder = folder.clone();
        async move { serve(resources, &folder, &path, &headers) }
    };
    let root = if prefix == "/" {
        "/".to_owned()
    } else {
        prefix.clone()
    };
    let mut router = Router::new()
        .route(
            &format!("{}/{{*path}}", prefix.trim_end_matches('/')),
            get(file),
        )
        .route(&root, get(index.clone()));
    if root != "/" {
        router = router.route(&format!("{root}/"), get(index));
    }
    router
}

fn serve(resources: &'static Resources, folder: &str, path: &str, headers: &HeaderMap) -> Response {
    let path = match normalize(path) {
        Ok(path) => path,
        Err(e) => return e.into_response(),
    };
    let full = match (folder.is_empty(), path.is_empty()) {
        (true, _) => path,
        (false, true) => folder.to_owned(),
        (false, false) => format!("{folder}/{path}"),
    };
    let found = resources.find(&full).or_else(|| {
        let index = if full.is_empty() {
            "index.html".to_owned()
        } else {
            format!("{full}/index.html")
        };
        resources.find(&index)
    });
    match found {
        Some(resource) => resource.respond_to(headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
