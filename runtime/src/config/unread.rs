//! Ktor keys a configuration sets that oxtor does not read: a misspelt key (`ktor.deployment.prot`)
//! or one of Ktor's JVM engine settings with no meaning here (`connectionGroupSize`, `watch`).
//! Ktor ignores unknown keys without a word; oxtor's [`EngineMain`](super::EngineMain) logs each
//! one as a warning at start-up, naming the file and line, with the key oxtor reads instead or
//! the nearest known one. [`Config::unread_ktor_keys`] lists them for a program that would
//! rather refuse to start.
//!
//! # Example
//! ```
//! use oxtor_runtime::config::Config;
//!
//! let config = Config::from_hocon_str("application.conf", "ktor.deployment {\n  prot = 8080\n}\n")?;
//! let unread: Vec<String> = config.unread_ktor_keys().iter().map(ToString::to_string).collect();
//! assert_eq!(
//!     unread,
//!     ["application.conf:2: ktor.deployment.prot: oxtor does not read this key; did you mean `port`?"]
//! );
//! # Ok::<(), oxtor_runtime::ConfigError>(())
//! ```
use super::{keys, Config, Value};
use crate::error::ConfigError;

/// The tables checked, and the keys oxtor reads in each.
const SECTIONS: [(&str, &[&str]); 4] = [
    (
        "ktor.deployment",
        &[
            keys::HOST,
            keys::PORT,
            keys::SSL_PORT,
            keys::ROOT_PATH,
            keys::SHUTDOWN_GRACE_PERIOD,
            keys::HEADER_READ_TIMEOUT,
            keys::IDLE_TIMEOUT,
            keys::MAX_CONNECTIONS,
            keys::MAX_REQUEST_HEAD_SIZE,
            keys::MAX_HEADER_COUNT,
            keys::MAX_CONCURRENT_STREAMS,
            keys::THREAD_PER_CORE,
            keys::WORKER_GROUP_SIZE,
        ],
    ),
    (
        "ktor.security.ssl",
        &[
            keys::SSL_KEY_STORE,
            keys::SSL_KEY_ALIAS,
            keys::SSL_KEY_STORE_PASSWORD,
            keys::SSL_PRIVATE_KEY_PASSWORD,
            keys::SSL_TRUST_STORE,
            keys::SSL_TRUST_STORE_PASSWORD,
            keys::SSL_ENABLED_PROTOCOLS,
            keys::SSL_CLIENT_AUTH,
            keys::SSL_WATCH_INTERVAL,
        ],
    ),
    ("ktor.application", &[]),
    (
        "ktor",
        &["ktor.deployment", "ktor.security", "ktor.application"],
    ),
];

/// Ktor's own keys oxtor does not read, with what to do instead.
const KTOR_ONLY: [(&str, &str); 13] = [
    (
        "ktor.deployment.watch",
        "Ktor's class reloading has no Rust counterpart; rebuild and restart instead (e.g. `cargo watch -x run`)",
    ),
    (
        "ktor.deployment.shutdownTimeout",
        "oxtor stops waiting for in-flight calls after `ktor.deployment.shutdownGracePeriod`",
    ),
    (
        "ktor.deployment.connectionGroupSize",
        "oxtor's engine has one group of workers: `ktor.deployment.workerGroupSize` (with `threadPerCore`) or the tokio runtime's",
    ),
    (
        "ktor.deployment.callGroupSize",
        "calls run on the engine's workers: `ktor.deployment.workerGroupSize` (with `threadPerCore`) or the tokio runtime's",
    ),
    (
        "ktor.deployment.maxInitialLineLength",
        "the request line counts towards `ktor.deployment.maxRequestHeadSize`",
    ),
    (
        "ktor.deployment.maxHeaderSize",
        "use `ktor.deployment.maxRequestHeadSize` (and `maxHeaderCount`)",
    ),
    (
        "ktor.deployment.maxChunkSize",
        "request bodies are streamed; limit them per route or with the RequestBodyLimit plugin",
    ),
    (
        "ktor.deployment.requestReadTimeoutSeconds",
        "use `ktor.deployment.headerReadTimeout` and `idleTimeout`",
    ),
    (
        "ktor.deployment.responseWriteTimeoutSeconds",
        "a peer that stops reading is bounded by `ktor.deployment.idleTimeout` once the call ends",
    ),
    (
        "ktor.deployment.tcpKeepAlive",
        "the engine does not set SO_KEEPALIVE; idle connections end after `ktor.deployment.idleTimeout`",
    ),
    (
        "ktor.application.modules",
        "oxtor's modules are Rust functions given to `EngineMain::run`",
    ),
    (
        "ktor.application.id",
        "logs are named by the `tracing` subscriber the program installs",
    ),
    (
        "ktor.development",
        "debug builds are oxtor's development mode (e.g. resources read live with `OXTOR_RESOURCES_DIR`)",
    ),
];

impl Config {
    /// Every key set under `ktor.deployment`, `ktor.security.ssl` or `ktor.application` (and
    /// `ktor.development`) that oxtor does not read, each as a message naming the key and where
    /// it was set, saying what to use instead or which known key is nearest. See the
    /// [module docs](crate::config::unread).
    pub fn unread_ktor_keys(&self) -> Vec<ConfigError> {
        let mut unread = Vec::new();
        for (section, known) in SECTIONS {
            let Some(Value::Table(table)) = self.value(section) else {
                continue;
            };
            for name in table.keys() {
                let key = format!("{section}.{name}");
                if known.contains(&key.as_str()) || !self.contains(&key) {
                    continue;
                }
                unread.push(self.error(&key, advice(&key, name, known)));
            }
        }
        unread
    }
}

/// Why `key` is not read and what to do, for a key of a section whose keys are `known`.
fn advice(key: &str, name: &str, known: &[&str]) -> String {
    if let Some((_, hint)) = KTOR_ONLY.iter().find(|(k, _)| *k == key) {
        return format!("Ktor's key, not read by oxtor: {hint}");
    }
    let nearest = known
        .iter()
        .filter_map(|k| k.rsplit('.').next())
        .map(|k| {
            (
                edit_distance(&name.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                k,
            )
        })
        .min();
    match nearest {
        Some((distance, k)) if distance <= 2.max(name.len() / 4) => {
            format!("oxtor does not read this key; did you mean `{k}`?")
        }
        _ => "oxtor does not read this key".to_owned(),
    }
}

/// Levenshtein distance between two short ASCII strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::{edit_distance, Config};

    fn unread(text: &str) -> Vec<String> {
        let config = Config::from_hocon_str("a.conf", text).unwrap_or_default();
        config
            .unread_ktor_keys()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn keys_oxtor_reads_are_not_reported() {
        let text = "ktor.deployment { host = a, port = 1, rootPath = /x, threadPerCore = true }\n\
                    ktor.security.ssl { keyStore = k.p12, watchInterval = 10s }\napp.x = 1\n";
        assert!(unread(text).is_empty(), "{:?}", unread(text));
    }

    #[test]
    fn a_misspelt_key_names_the_nearest_known_one() {
        assert_eq!(
            unread("ktor.deployment.sslport = 8443"),
            ["a.conf:1: ktor.deployment.sslport: oxtor does not read this key; did you mean `sslPort`?"]
        );
        assert_eq!(
            unread("ktor.security.ssl.keyStorePasword = x"),
            ["a.conf:1: ktor.security.ssl.keyStorePasword: oxtor does not read this key; did you mean `keyStorePassword`?"]
        );
    }

    #[test]
    fn a_key_far_from_every_known_one_gets_no_suggestion() {
        assert_eq!(
            unread("ktor.deployment.banana = 1"),
            ["a.conf:1: ktor.deployment.banana: oxtor does not read this key"]
        );
    }

    #[test]
    fn ktors_engine_keys_say_what_to_use_instead() {
        let text = "ktor {\n  deployment {\n    maxHeaderSize = 8192\n  }\n  application.modules = [a.b]\n  development = true\n}\n";
        assert_eq!(
            unread(text),
            [
                "a.conf:3: ktor.deployment.maxHeaderSize: Ktor's key, not read by oxtor: use `ktor.deployment.maxRequestHeadSize` (and `maxHeaderCount`)",
                "a.conf:5: ktor.application.modules: Ktor's key, not read by oxtor: oxtor's modules are Rust functions given to `EngineMain::run`",
                "a.conf:6: ktor.development: Ktor's key, not read by oxtor: debug builds are oxtor's development mode (e.g. resources read live with `OXTOR_RESOURCES_DIR`)",
            ]
        );
    }

    #[test]
    fn a_null_value_is_not_set() {
        assert!(unread("ktor.deployment.watch = null").is_empty());
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("prot", "port"), 2);
        assert_eq!(edit_distance("port", "port"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("hots", "host"), 2);
    }
}
