//! Resources embedded in the binary (feature `resources`): Ktor's classpath resources, where
//! the classpath is the executable. The facade's `resources!("folder")` macro embeds a folder
//! at build time into a [`Resources`] set; [`respond_resource`] answers one file of it (Ktor's
//! `call.respondResource`), and [`static_resources`] serves a folder of it as a route group.
//!
//! - **Build time.** Every file is read by the macro; next to it, zstd (level 19) and brotli
//!   (quality 11) variants are stored when they are smaller, a strong `ETag` is derived from the
//!   content's SHA-256 (one per coding: `"…"`, `"…-zstd"`, `"…-br"`), and `Last-Modified` is the
//!   file's modification time (or `SOURCE_DATE_EPOCH` when set). So serving costs no CPU for
//!   compression, and a client that accepts zstd or br gets the variant with
//!   `Vary: Accept-Encoding`; the `Compression` plugin leaves such responses alone (they already
//!   have a `Content-Encoding`). Changing a file rebuilds the crate that embeds it; adding a new
//!   file needs a rebuild of that crate (`touch` the source that calls `resources!`).
//! - **Content type** from the extension, Ktor's table ([`content_type`]): everything after the
//!   first dot of the file name, then each shorter tail (`tar.gz`, then `gz`), any case;
//!   Ktor's first choice wins (`xml` → `application/xml`, `js`/`mjs` → `text/javascript`,
//!   `woff2` → `font/woff2`, …); `text/plain; charset=utf-8`, `application/json` (no charset),
//!   `application/octet-stream` for unknown extensions. `yml` is `application/yaml` like
//!   `yaml` (Ktor's table omits it).
//! - **Paths**, normalised as Ktor's `normalizePathComponents`: `/` and `\` separate segments;
//!   empty, `.` and `~` segments and Windows device names (`CON`, `NUL`, `COM1`, …, whole
//!   segment, any case) are dropped; ``\ / : * ? " < > |`` and control characters are removed
//!   and trailing dots and spaces trimmed from each segment (`~/a.html.` is `a.html`). A `..`
//!   segment is rejected before that, and trimming never produces one.
//! - **Requests.** `If-None-Match` / `If-Modified-Since` → `304`; one byte range → `206` (of the
//!   uncompressed file), several → the whole file; a directory of a static route answers its
//!   `index.html`.
//! - **Errors, as Ktor.** A path with a `..` segment is `400` (`Relative path should not contain
//!   path traversing characters: <path>`). A file the program does not ship is `500 Resource not
//!   found: <path>` from [`respond_resource`] (the program asked for it: a bug, not the client's
//!   fault) and `404` under [`static_resources`]. Paths are looked up in the embedded set only;
//!   nothing else is ever read.
//! - **Live editing.** In debug builds, `OXTOR_RESOURCES_DIR=<dir>` (read once, at the first
//!   request) makes every set read from `<dir>` on disk at each request, without precompressed
//!   variants; files that resolve outside `<dir>` are not served. Release builds ignore it.
//!
//! # Example
//! A set can be written by hand; `resources!` generates the same (with real hashes, dates and
//! compressed variants):
//! ```
//! use oxtor_runtime::{resources::{respond_resource, static_resources, EmbeddedFile, Resources}, Application, testing::TestApplication};
//! use axum::{routing::get, Router};
//!
//! static RES: Resources = Resources::__new("/src/resources", &[
//!     EmbeddedFile::__new("public/index.html", b"<h1>Hi</h1>", None, None,
//!         "\"a1\"", "\"a1-zstd\"", "\"a1-br\"", 1_700_000_000),
//! ]);
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/resource", get(|| async { respond_resource(&RES, "public/index.html") })))?;
//! app.routing(static_resources("/static", &RES, "public"))?;
//! let server = TestApplication::start(app).await?;
//!
//! let res = server.get("/resource").await?;
//! assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
//! assert_eq!(res.headers()["etag"], "\"a1\"");
//! assert_eq!(res.text()?, "<h1>Hi</h1>");
//! assert_eq!(server.get_text("/static/").await?, "<h1>Hi</h1>");
//! assert_eq!(server.get("/static/missing.css").await?.status(), 404);
//! # Ok(()) }
//! ```
mod live;
mod media_type;
mod path;
mod respond;
mod routes;

use axum::response::{IntoResponse, Response};
use http::{header::CONTENT_TYPE, HeaderValue, StatusCode};

#[doc(inline)]
pub use live::RESOURCES_DIR_ENV;
#[doc(inline)]
pub use media_type::content_type;
#[doc(inline)]
pub use respond::Resource;
#[doc(inline)]
pub use routes::static_resources;

/// A folder embedded in the binary by `resources!("folder")`. See the [module
/// docs](crate::resources).
#[derive(Debug)]
pub struct Resources {
    source: &'static str,
    /// Sorted by path.
    files: &'static [EmbeddedFile],
}

/// One embedded file: its bytes, precompressed variants and validators, all computed at build
/// time.
pub struct EmbeddedFile {
    path: &'static str,
    bytes: &'static [u8],
    zstd: Option<&'static [u8]>,
    br: Option<&'static [u8]>,
    etag: &'static str,
    etag_zstd: &'static str,
    etag_br: &'static str,
    modified: u64,
}

impl Resources {
    /// What `resources!` expands to; `files` must be sorted by path. Not public API.
    #[doc(hidden)]
    pub const fn __new(source: &'static str, files: &'static [EmbeddedFile]) -> Self {
        Self { source, files }
    }

    /// The folder the files were read from at build time.
    pub fn source_dir(&self) -> &'static str {
        self.source
    }

    /// The embedded files, sorted by path.
    pub fn files(&self) -> &'static [EmbeddedFile] {
        self.files
    }

    /// The embedded file at `path` exactly (`public/index.html`, no normalisation).
    pub fn get(&self, path: &str) -> Option<&'static EmbeddedFile> {
        let files = self.files;
        files
            .binary_search_by(|f| f.path.cmp(path))
            .ok()
            .and_then(|i| files.get(i))
    }

    /// The resource at normalised `path`: from disk in a debug build with
    /// `OXTOR_RESOURCES_DIR` set, else embedded.
    pub(crate) fn find(&'static self, path: &str) -> Option<Resource> {
        if let Some(dir) = live::dir() {
            return live::read(dir, path);
        }
        self.get(path).map(Resource::embedded)
    }
}

impl EmbeddedFile {
    /// What `resources!` expands to, one per file. Not public API.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __new(
        path: &'static str,
        bytes: &'static [u8],
        zstd: Option<&'static [u8]>,
        br: Option<&'static [u8]>,
        etag: &'static str,
        etag_zstd: &'static str,
        etag_br: &'static str,
        modified: u64,
    ) -> Self {
        Self {
            path,
            bytes,
            zstd,
            br,
            etag,
            etag_zstd,
            etag_br,
            modified,
        }
    }

    /// The path inside the embedded folder, `/`-separated (`public/index.html`).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The content, uncompressed.
    pub fn bytes(&self) -> &'static [u8] {
        self.bytes
    }

    /// The zstd variant, when it is smaller than the content.
    pub fn zstd(&self) -> Option<&'static [u8]> {
        self.zstd
    }

    /// The brotli variant, when it is smaller than the content.
    pub fn br(&self) -> Option<&'static [u8]> {
        self.br
    }

    /// The strong `ETag` of the uncompressed content, quoted.
    pub fn etag(&self) -> &'static str {
        self.etag
    }
}

impl std::fmt::Debug for EmbeddedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedFile")
            .field("path", &self.path)
            .field("len", &self.bytes.len())
            .field("zstd_len", &self.zstd.map(<[u8]>::len))
            .field("br_len", &self.br.map(<[u8]>::len))
            .field("etag", &self.etag)
            .field("modified", &self.modified)
            .finish()
    }
}

/// Why a resource could not be answered; responds with Ktor's status and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceError {
    /// The program asked for a file it does not ship: `500 Resource not found: <path>`.
    #[error("Resource not found: {path}")]
    NotFound {
        /// The path as asked for.
        path: String,
    },
    /// The same, for the `(path, package)` form: `Resource not found: <path> in package <pkg>`.
    #[error("Resource not found: {path} in package {package}")]
    NotFoundInPackage {
        /// The path as asked for.
        path: String,
        /// The package as asked for.
        package: String,
    },
    /// A `..` segment: `400 Relative path should not contain path traversing characters: <path>`.
    #[error("Relative path should not contain path traversing characters: {path}")]
    Traversal {
        /// The path as asked for.
        path: String,
    },
}

impl ResourceError {
    /// The status it responds with: 400 for [`Traversal`](Self::Traversal), else 500.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Traversal { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound { .. } | Self::NotFoundInPackage { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// The status and the message as `text/plain; charset=utf-8` (Ktor's default error response).
impl IntoResponse for ResourceError {
    fn into_response(self) -> Response {
        let mut res = (self.status(), self.to_string()).into_response();
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        res
    }
}

/// Ktor's `call.respondResource(path)`: the file at `path` of `resources` (a leading `/` is
/// harmless), or [`ResourceError`] (500 `Resource not found: <path>`, 400 for `..`). A path
/// ending in `/` names no file.
///
/// The [`Resource`] responds as the whole file; call [`Resource::respond_to`] with the
/// request's headers for precompressed variants, `304` and ranges.
pub fn respond_resource(
    resources: &'static Resources,
    path: &str,
) -> Result<Resource, ResourceError> {
    let not_found = || ResourceError::NotFound {
        path: path.to_owned(),
    };
    if path.ends_with(['/', '\\']) {
        return Err(not_found());
    }
    let normalized = path::normalize(path)?;
    resources.find(&normalized).ok_or_else(not_found)
}

/// Ktor's `call.respondResource(path, package)`: `package` (`"com.example"`, split on `.`, `/`
/// and `\`) is prepended to `path`. Errors name both.
pub fn respond_resource_in(
    resources: &'static Resources,
    path: &str,
    package: &str,
) -> Result<Resource, ResourceError> {
    let not_found = || ResourceError::NotFoundInPackage {
        path: path.to_owned(),
        package: package.to_owned(),
    };
    if path.ends_with(['/', '\\']) {
        return Err(not_found());
    }
    let full = path::in_package(path, package)?;
    resources.find(&full).ok_or_else(not_found)
}
