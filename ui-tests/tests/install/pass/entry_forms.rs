//! Every entry form of `install!`, with and without separators, closures as values, a plugin
//! named by path, and an empty configuration.
mod plugins {
    #[derive(Debug, Default, PartialEq)]
    pub struct Config {
        pub calls: Vec<String>,
    }

    pub struct Compression;

    impl Compression {
        pub fn configure(f: impl FnOnce(&mut Config)) -> Config {
            let mut cfg = Config::default();
            f(&mut cfg);
            cfg
        }
    }

    impl Config {
        pub fn level(&mut self, level: i32) {
            self.calls.push(format!("level={level}"));
        }
        pub fn zstd(&mut self, f: impl FnOnce(&mut Config)) {
            let mut inner = Config::default();
            f(&mut inner);
            self.calls.push(format!("zstd{:?}", inner.calls));
        }
        pub fn provider(&mut self, name: &str, f: impl FnOnce(&mut Config)) {
            let mut inner = Config::default();
            f(&mut inner);
            self.calls
                .push(format!("provider({name}){:?}", inner.calls));
        }
        pub fn header(&mut self, name: &str, value: &str) {
            self.calls.push(format!("header({name}, {value})"));
        }
        pub fn validate(&mut self, f: impl Fn(&str) -> bool) {
            self.calls.push(format!("validate={}", f("secret")));
        }
    }
}

fn main() {
    let cfg = oxtor::install!(plugins::Compression {
        level = 3
        zstd { level = 9 }
        provider("github") { level = 1 }
        header("x-a", "b")
        validate = |key| key == "secret"
    });
    assert_eq!(
        cfg.calls,
        [
            "level=3",
            "zstd[\"level=9\"]",
            "provider(github)[\"level=1\"]",
            "header(x-a, b)",
            "validate=true"
        ]
    );

    let separated = oxtor::install!(plugins::Compression { level = 1, zstd { level = 2; }; });
    assert_eq!(separated.calls, ["level=1", "zstd[\"level=2\"]"]);

    let defaults = oxtor::install!(plugins::Compression {});
    assert!(defaults.calls.is_empty());
}
