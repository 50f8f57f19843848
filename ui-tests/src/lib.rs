//! Compile-pass and compile-fail cases of oxtor's macros live in `tests/`; this library holds
//! what several cases share.

/// A tiny plugin with the shape every oxtor plugin has (`configure` and builder methods), for
/// the `install!` cases: `install!(Compression { min_size = 10  zstd { level = 3 } })`.
pub mod toy {
    /// The plugin.
    pub struct Compression;

    /// Its configuration: the `min_size` key and the `zstd { .. }` block.
    #[derive(Default)]
    pub struct Config;

    /// The `zstd { .. }` block: the `level` key.
    #[derive(Default)]
    pub struct Zstd;

    impl Compression {
        /// What `install!(Compression { .. })` calls.
        pub fn configure(f: impl FnOnce(&mut Config)) -> Result<Self, String> {
            f(&mut Config);
            Ok(Compression)
        }
    }

    impl Config {
        /// `min_size = bytes`.
        pub fn min_size(&mut self, _bytes: usize) {}

        /// `zstd { .. }`.
        pub fn zstd(&mut self, f: impl FnOnce(&mut Zstd)) {
            f(&mut Zstd);
        }
    }

    impl Zstd {
        /// `level = n`.
        pub fn level(&mut self, _level: i32) {}
    }
}
