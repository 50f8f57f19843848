#!/usr/bin/env bash
# HttpRequestLifecycle benchmark (issue 5), side by side in one run:
#  1. cancel latency (client close -> handler clean-up observed), p50/p99 over N calls;
#  2. requests/s on GET /hello: oxtor with the plugin (cancel_call_on_close = true), oxtor
#     without it, and plain axum (axum::serve), each on a one-worker runtime pinned to CPU 0,
#     wrk pinned to CPU 1, ROUNDS alternating rounds of SECS seconds, 64 connections.
# Usage: bench/lifecycle.sh [ROUNDS] [SECS] [CALLS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; SECS=${2:-10}; CALLS=${3:-1000}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --example lifecycle_bench >/dev/null 2>&1 || cargo build --release --example lifecycle_bench
BIN=target/release/examples/lifecycle_bench

"$BIN" cancel-latency "$CALLS"

PORTS=(18091 18092 18093); NAMES=(plugin-on plugin-off axum)
taskset -c 0 "$BIN" serve "${PORTS[@]}" > /tmp/lifecycle_bench.out &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q ready /tmp/lifecycle_bench.out 2>/dev/null && break; sleep 0.1; done
for p in "${PORTS[@]}"; do curl -fs "http://127.0.0.1:$p/hello" >/dev/null; done

declare -A SUM
for r in $(seq "$ROUNDS"); do
  for i in 0 1 2; do
    rps=$(taskset -c 1 wrk -t1 -c64 -d"${SECS}s" "http://127.0.0.1:${PORTS[$i]}/hello" | awk '/Requests\/sec/ {print $2}')
    echo "round $r ${NAMES[$i]}: $rps req/s"
    SUM[$i]=$(python3 -c "print(${SUM[$i]:-0} + $rps)")
  done
done
python3 - "${SUM[0]}" "${SUM[1]}" "${SUM[2]}" "$ROUNDS" <<'PY'
import sys
on, off, ax, n = (float(x) for x in sys.argv[1:])
on, off, ax = on / n, off / n, ax / n
print(f"mean req/s: plugin-on {on:.0f}  plugin-off {off:.0f}  axum {ax:.0f}")
print(f"ratio plugin-on/axum = {on/ax:.3f}   plugin-off/axum = {off/ax:.3f}")
PY
