//! What the configuration tests (`config.rs`, `root_path.rs`) share: a scratch directory for
//! config files, and the `-config=` argument naming one.
use std::path::{Path, PathBuf};

/// A scratch directory removed at drop.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("oxtor-config-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Self(dir)
    }

    /// Writes `name` and returns its path as a `-config=` argument would name it.
    pub(crate) fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write config file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `-config=` argument naming `path`.
pub(crate) fn config_arg(path: &Path) -> String {
    format!("-config={}", path.display())
}
