//! Configuration: `application.conf` (HOCON) or `application.toml` with Ktor's keys, the command
//! line (`-config=`, `-port=`, `-host=`, `-P:key=value`), and [`EngineMain`].
//!
//! # Example
//! ```
//! let _ = oxtor_runtime::config::EngineMain::default();
//! ```

/// Loads configuration and runs an application module (Ktor's `EngineMain`).
#[derive(Debug, Default)]
pub struct EngineMain {}
