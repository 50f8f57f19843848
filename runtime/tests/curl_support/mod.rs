//! `curl` as a test peer: one run, bounded in time, killed if the test gives up on it.
use std::time::Duration;

use tokio::process::Command;

/// Runs `curl -s -S --max-time 15 ARGS..` and returns its standard output; panics (failing the
/// test) if curl times out, is missing or exits with an error.
pub(crate) async fn curl(args: &[&str]) -> Vec<u8> {
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        Command::new("curl")
            .args(["-s", "-S", "--max-time", "15"])
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("curl timed out")
    .expect("curl runs (apt-get install curl)");
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
