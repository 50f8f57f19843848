//! Live reading from disk in debug builds: with `OXTOR_RESOURCES_DIR=<dir>` set when the
//! program starts, resources are read from `<dir>` at each request instead of from the binary,
//! so edits show up without a rebuild. Release builds never read the variable.
use std::{
    path::{Path, PathBuf},
    sync::OnceLock,
};

use super::Resource;

/// The variable naming the directory to read resources from in debug builds.
pub const RESOURCES_DIR_ENV: &str = "OXTOR_RESOURCES_DIR";

/// The live directory, canonicalised, if debug assertions are on and the variable is set.
pub(crate) fn dir() -> Option<&'static Path> {
    if !cfg!(debug_assertions) {
        return None;
    }
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os(RESOURCES_DIR_ENV)?;
        match std::fs::canonicalize(&dir) {
            Ok(dir) => {
                tracing::info!(dir = %dir.display(), "{RESOURCES_DIR_ENV}: serving resources from disk");
                Some(dir)
            }
            Err(e) => {
                tracing::warn!(dir = ?dir, error = %e, "{RESOURCES_DIR_ENV} is not a readable directory; serving embedded resources");
                None
            }
        }
    })
    .as_deref()
}

/// Reads normalised `path` under `dir`: a regular file that, after resolving links, is still
/// inside `dir`; anything else is not found.
pub(crate) fn read(dir: &Path, path: &str) -> Option<Resource> {
    if path.is_empty() || path.contains(['\0', ':']) {
        return None;
    }
    let file = std::fs::canonicalize(dir.join(path)).ok()?;
    if !file.starts_with(dir) {
        return None;
    }
    let meta = std::fs::metadata(&file).ok()?;
    if !meta.is_file() {
        return None;
    }
    let bytes = std::fs::read(&file).ok()?;
    let modified = meta.modified().ok()?;
    Some(Resource::live(path.to_owned(), bytes, modified))
}
