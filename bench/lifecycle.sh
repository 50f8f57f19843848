#!/usr/bin/env bash
# HttpRequestLifecycle benchmark (issue 5), side by side in one run:
#  1. cancel latency (client close -> handler clean-up observed), p50/p99 over CALLS calls;
#  2. requests/s on GET /hello: oxtor with the plugin (cancel_call_on_close = true), oxtor
#     without it, and plain axum (axum::serve) — one process, a one-worker runtime pinned to
#     CPU 0, wrk pinned to CPU 1, 64 connections, ROUNDS alternating rounds of SECS seconds.
#     Ratios are taken per round (the three targets run back to back, so they share the
#     machine's load of the moment), then the median over rounds is reported.
# Usage: bench/lifecycle.sh [ROUNDS] [SECS] [CALLS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}; SECS=${2:-5}; CALLS=${3:-1000}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --example lifecycle_bench >/dev/null 2>&1 || cargo build --release --example lifecycle_bench
BIN=target/release/examples/lifecycle_bench

"$BIN" cancel-latency "$CALLS"

PORTS=(18091 18092 18093); NAMES=(plugin-on plugin-off axum)
OUT=$(mktemp)
taskset -c 0 "$BIN" serve "${PORTS[@]}" > "$OUT" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 50); do grep -q ready "$OUT" 2>/dev/null && break; sleep 0.1; done
for p in "${PORTS[@]}"; do curl -fs "http://127.0.0.1:$p/hello" >/dev/null; done

RESULTS=()
for r in $(seq "$ROUNDS"); do
  line="$r"
  for i in 0 1 2; do
    rps=$(taskset -c 1 wrk -t1 -c64 -d"${SECS}s" "http://127.0.0.1:${PORTS[$i]}/hello" | awk '/Requests\/sec/ {print $2}')
    line="$line $rps"
  done
  echo "round $line  (plugin-on plugin-off axum, req/s)"
  RESULTS+=("$line")
done
printf '%s\n' "${RESULTS[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split()[1:])) for l in sys.stdin if l.strip()]
on, off, ax = (statistics.median(c) for c in zip(*rows))
r_on = statistics.median(r[0] / r[2] for r in rows)
r_off = statistics.median(r[1] / r[2] for r in rows)
print(f"median req/s: plugin-on {on:.0f}  plugin-off {off:.0f}  axum {ax:.0f}")
print(f"median per-round ratio: plugin-on/axum = {r_on:.3f}   plugin-off/axum = {r_off:.3f}")
'
