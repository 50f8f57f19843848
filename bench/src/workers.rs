//! The optional WORKERS argument the oxtor bench servers share: absent → the default engine on
//! the binary's runtime; a number → thread-per-core mode on that many workers (0: one per CPU).
use oxtor::server::ServerConfig;

/// Applies the WORKERS argument `arg` to `config`; an unparsable value is an error naming it.
pub(crate) fn apply(config: ServerConfig, arg: Option<String>) -> Result<ServerConfig, String> {
    match arg.map(|w| w.parse::<usize>()) {
        None => Ok(config),
        Some(Ok(workers)) => Ok(config.with_thread_per_core(workers)),
        Some(Err(e)) => Err(format!("error: WORKERS: {e}")),
    }
}
