//! Reads the folder at build time: every regular file (links followed), sorted by path, with its
//! SHA-256-derived `ETag`, modification time and zstd/brotli variants kept only when smaller.
use std::{
    io::Write,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use sha2::{Digest, Sha256};

use super::parse::Args;

/// zstd level of the precompressed variants (the maximum short of `--ultra`).
const ZSTD_LEVEL: i32 = 19;
/// brotli quality of the precompressed variants (the maximum).
const BROTLI_QUALITY: u32 = 11;
/// brotli window, log2 bytes.
const BROTLI_WINDOW: u32 = 22;

/// The folder and its files.
pub(crate) struct Folder {
    /// Absolute path of the folder.
    pub(crate) root: PathBuf,
    pub(crate) files: Vec<File>,
    /// The literal the user wrote, for spans.
    pub(crate) span: proc_macro2::Span,
}

/// One file, ready to embed.
pub(crate) struct File {
    /// `/`-separated path inside the folder.
    pub(crate) path: String,
    /// Absolute path, for `include_bytes!`.
    pub(crate) absolute: PathBuf,
    pub(crate) zstd: Option<Vec<u8>>,
    pub(crate) br: Option<Vec<u8>>,
    /// Hex of the first 16 bytes of the SHA-256 of the content.
    pub(crate) hash: String,
    /// Modification time, seconds since the epoch.
    pub(crate) modified: u64,
}

pub(crate) fn folder(args: &Args) -> syn::Result<Folder> {
    let lit = &args.folder;
    let error = |message: String| syn::Error::new(lit.span(), message);
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").ok_or_else(|| {
        error("`CARGO_MANIFEST_DIR` is not set: `resources!` must be compiled by cargo".into())
    })?;
    let root = Path::new(&manifest).join(lit.value());
    let meta = std::fs::metadata(&root).map_err(|e| {
        error(format!(
            "cannot read resource folder `{}` (relative to the crate's `Cargo.toml`): {e}",
            lit.value(),
        ))
    })?;
    if !meta.is_dir() {
        return Err(error(format!(
            "`{}` is a file; `resources!` embeds a folder",
            lit.value(),
        )));
    }
    let source_date = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let mut paths = Vec::new();
    walk(&root, &root, &mut paths).map_err(&error)?;
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for (path, absolute) in paths {
        let bytes = std::fs::read(&absolute)
            .map_err(|e| error(format!("cannot read `{}`: {e}", absolute.display())))?;
        let modified = std::fs::metadata(&absolute)
            .and_then(|m| m.modified())
            .unwrap_or(SystemTime::now())
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let modified = source_date.map_or(modified, |epoch| modified.min(epoch));
        let digest = Sha256::digest(&bytes);
        let hash = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        files.push(File {
            zstd: smaller(&bytes, zstd(&bytes)),
            br: smaller(&bytes, brotli(&bytes)),
            path,
            absolute,
            hash,
            modified,
        });
    }
    Ok(Folder {
        root,
        files,
        span: lit.span(),
    })
}

/// Every regular file under `dir`, as (`/`-separated path relative to `root`, absolute path).
fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list `{}`: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list `{}`: {e}", dir.display()))?;
        let path = entry.path();
        let meta = std::fs::metadata(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if meta.is_dir() {
            walk(root, &path, out)?;
        } else if meta.is_file() {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let mut parts = Vec::new();
            for part in relative.components() {
                let part = part
                    .as_os_str()
                    .to_str()
                    .ok_or_else(|| format!("`{}`: resource paths must be UTF-8", path.display()))?;
                parts.push(part);
            }
            let absolute = std::fs::canonicalize(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            out.push((parts.join("/"), absolute));
        }
    }
    Ok(())
}

/// `compressed` if it is smaller than `original`.
fn smaller(original: &[u8], compressed: Option<Vec<u8>>) -> Option<Vec<u8>> {
    compressed.filter(|c| c.len() < original.len())
}

fn zstd(bytes: &[u8]) -> Option<Vec<u8>> {
    zstd::bulk::compress(bytes, ZSTD_LEVEL).ok()
}

fn brotli(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer =
            brotli::CompressorWriter::new(&mut out, 64 * 1024, BROTLI_QUALITY, BROTLI_WINDOW);
        writer.write_all(bytes).ok()?;
        writer.flush().ok()?;
    }
    Some(out)
}
