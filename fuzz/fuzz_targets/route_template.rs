//! Fuzzes the `#[route]` path-template rules on arbitrary strings: no panic, every problem's
//! byte range inside the template, and axum builds a router from every template the rules
//! accept (a template the macro lets through must not make `Router::route` panic at start-up).
//!
//! The rules live in the proc-macro crate, which cannot be a normal dependency; its
//! `util/template/rules.rs` is std only and included here as a module.
#![no_main]

use axum::{routing::get, Router};
use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unreachable_pub)]
#[path = "../../macros/src/util/template/rules.rs"]
mod rules;

fuzz_target!(|path: &str| {
    let template = rules::parse(path);
    for problem in &template.problems {
        assert!(!problem.message.is_empty());
        assert!(
            path.get(problem.range.clone()).is_some(),
            "{problem:?} in {path:?}"
        );
    }
    for param in &template.params {
        assert!(path.contains(&param.name));
    }
    if template.problems.is_empty() {
        // Panics (a finding) if matchit refuses what the macro accepted.
        let _ = Router::<()>::new().route(path, get(|| async {}));
    }
});
