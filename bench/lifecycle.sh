#!/usr/bin/env bash
# HttpRequestLifecycle benchmark (issue 5), side by side in one run:
#  1. cancel latency (client close -> handler clean-up observed), p50/p99 over CALLS calls;
#  2. requests/s on GET /hello: oxtor with the plugin (cancel_call_on_close = true), oxtor
#     without it, and plain axum (axum::serve) — one process, a one-worker runtime pinned to
#     CPU 0, wrk pinned to CPU 1, 64 connections, ROUNDS alternating rounds of SECS seconds.
#     Ratios are taken per round (the three targets run back to back, so they share the
#     machine's load of the moment), then the median over rounds is reported.
# With BASELINE_BIN=path/to/an/older/lifecycle_bench, that build's plugin-on server runs as a
# fourth target in the same rounds (before/after a change, side by side), and its cancel latency
# is measured too.
# Usage: [BASELINE_BIN=..] bench/lifecycle.sh [ROUNDS] [SECS] [CALLS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}; SECS=${2:-5}; CALLS=${3:-1000}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -p oxtor-bench --bin lifecycle_bench >/dev/null 2>&1 || cargo build --release -p oxtor-bench --bin lifecycle_bench
BIN=target/release/lifecycle_bench

BASELINE_BIN=${BASELINE_BIN:-}
echo "cancel latency (this build):"
"$BIN" cancel-latency "$CALLS"
if [ -n "$BASELINE_BIN" ]; then
  echo "cancel latency (baseline $BASELINE_BIN):"
  "$BASELINE_BIN" cancel-latency "$CALLS"
fi

PORTS=(18091 18092 18093)
OUT=$(mktemp); BOUT=$(mktemp)
taskset -c 0 "$BIN" serve "${PORTS[@]}" > "$OUT" 2>&1 &
SERVER=$!
BSERVER=
trap 'kill "$SERVER" $BSERVER 2>/dev/null || true; rm -f "$OUT" "$BOUT"' EXIT
for _ in $(seq 50); do grep -q ready "$OUT" 2>/dev/null && break; sleep 0.1; done
if [ -n "$BASELINE_BIN" ]; then
  # The baseline's plugin-on server; its other two ports are unused.
  taskset -c 0 "$BASELINE_BIN" serve 18094 18095 18096 > "$BOUT" 2>&1 &
  BSERVER=$!
  for _ in $(seq 50); do grep -q ready "$BOUT" 2>/dev/null && break; sleep 0.1; done
  PORTS+=(18094)
fi
for p in "${PORTS[@]}"; do curl -fs "http://127.0.0.1:$p/hello" >/dev/null; done

RESULTS=()
for r in $(seq "$ROUNDS"); do
  line="$r"
  for i in "${!PORTS[@]}"; do
    rps=$(taskset -c 1 wrk -t1 -c64 -d"${SECS}s" "http://127.0.0.1:${PORTS[$i]}/hello" | awk '/Requests\/sec/ {print $2}')
    line="$line $rps"
  done
  echo "round $line  (plugin-on plugin-off axum${BASELINE_BIN:+ baseline-plugin-on}, req/s)"
  RESULTS+=("$line")
done
printf '%s\n' "${RESULTS[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split()[1:])) for l in sys.stdin if l.strip()]
on, off, ax = (statistics.median(c) for c in list(zip(*rows))[:3])
r_on = statistics.median(r[0] / r[2] for r in rows)
r_off = statistics.median(r[1] / r[2] for r in rows)
print(f"median req/s: plugin-on {on:.0f}  plugin-off {off:.0f}  axum {ax:.0f}")
print(f"median per-round ratio: plugin-on/axum = {r_on:.3f}   plugin-off/axum = {r_off:.3f}")
if all(len(r) > 3 for r in rows):
    base = statistics.median(r[3] for r in rows)
    r_base = statistics.median(r[0] / r[3] for r in rows)
    print(f"baseline plugin-on {base:.0f} req/s; median per-round ratio plugin-on/baseline = {r_base:.3f}")
'
