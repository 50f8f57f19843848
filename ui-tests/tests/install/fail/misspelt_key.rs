/// A tiny plugin: `configure` and builder methods, as every oxtor plugin has.
pub struct Compression;

#[derive(Default)]
pub struct Config;

#[derive(Default)]
pub struct Zstd;

impl Compression {
    pub fn configure(f: impl FnOnce(&mut Config)) -> Result<Self, String> {
        f(&mut Config);
        Ok(Compression)
    }
}

impl Config {
    pub fn min_size(&mut self, _bytes: usize) {}
    pub fn zstd(&mut self, f: impl FnOnce(&mut Zstd)) {
        f(&mut Zstd);
    }
}

impl Zstd {
    pub fn level(&mut self, _level: i32) {}
}

fn main() {
    let _ = oxtor::install!(Compression { zstd { levle = 3 } });
}
