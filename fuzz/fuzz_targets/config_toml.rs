//! Fuzzes TOML loading: any text gives a `Config` or an error naming the file, and the engine
//! settings read from a loaded `Config` are a value or an error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oxtor_runtime::config::Config;

fuzz_target!(|text: &str| {
    match Config::from_toml_str("fuzz.toml", text) {
        Ok(config) => {
            let _ = config.server_config();
            let _ = config.string_list("ktor.deployment.watch");
        }
        Err(e) => assert_eq!(e.file.as_deref(), Some(Path::new("fuzz.toml")), "{e}"),
    }
});
