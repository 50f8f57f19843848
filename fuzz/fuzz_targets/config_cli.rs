//! Fuzzes Ktor's `EngineMain` command line (`-port=`, `-host=`, `-P:key=value`, ...): the input
//! split on NUL into arguments gives a configuration or an error, never a panic; an accepted
//! command line has valid engine settings and every `-P:` property reads back.
//!
//! `-config=` arguments are dropped (they read files, which is not the parser's behaviour), and
//! no default config file is searched for (the search directory does not exist).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oxtor_runtime::config::EngineMain;

fuzz_target!(|text: &str| {
    let args: Vec<&str> = text
        .split('\0')
        .filter(|a| !a.trim_start_matches('-').starts_with("config"))
        .collect();
    let Ok(main) =
        EngineMain::from_iter_in(args.iter().copied(), Path::new("/nonexistent/oxtor-fuzz"))
    else {
        return;
    };
    assert!(main.server_config().is_ok());
    // The last `-P:` for a key wins, unless a later one set a key below it.
    if let Some((key, value)) = args
        .last()
        .and_then(|a| a.strip_prefix("--").or_else(|| a.strip_prefix('-')))
        .and_then(|a| a.strip_prefix("P:"))
        .and_then(|p| p.split_once('='))
    {
        assert_eq!(
            main.config().string(key.trim()).ok().flatten().as_deref(),
            Some(value)
        );
    }
});
