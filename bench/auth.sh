#!/usr/bin/env bash
# Authentication benchmark (issue 13), side by side in one run:
#  1. requests/s on GET /api/key with a valid `X-Api-Key`: oxtor under
#     `authenticate("my-api-key")` against the same route without `authenticate` — one process,
#     a one-worker runtime pinned to CPU 0, wrk pinned to CPU 1, 64 connections, ROUNDS
#     alternating rounds of SECS seconds; the ratio is taken per round, then the median is
#     reported (target >= 0.95);
#  2. OAuth callback handling (state check + token exchange against a local token endpoint +
#     the route), p50/p99 over CALLS sequential callbacks;
#  3. with AUTH_COST=N (and valgrind installed): instructions and mallocs per request on each
#     port, from callgrind over N requests (h2load, 4 connections) after a warm-up — figures a
#     busy machine does not change.
# Usage: [AUTH_COST=N] bench/auth.sh [ROUNDS] [SECS] [CALLS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}; SECS=${2:-5}; CALLS=${3:-1000}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet -p oxtor-bench --bin auth_bench
BIN=target/release/auth_bench

PORTS=(18101 18102)
OUT=$(mktemp)
taskset -c 0 "$BIN" serve "${PORTS[@]}" > "$OUT" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 50); do grep -q ready "$OUT" 2>/dev/null && break; sleep 0.1; done
for p in "${PORTS[@]}"; do
  [ "$(curl -fs -H 'X-Api-Key: secret-key' "http://127.0.0.1:$p/api/key")" = "Key: secret-key" ]
done
# The protected route really is protected.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORTS[0]}/api/key")" = 401 ]

RESULTS=()
for r in $(seq "$ROUNDS"); do
  line="$r"
  for p in "${PORTS[@]}"; do
    rps=$(taskset -c 1 wrk -t1 -c64 -d"${SECS}s" -H 'X-Api-Key: secret-key' "http://127.0.0.1:$p/api/key" | awk '/Requests\/sec/ {print $2}')
    line="$line $rps"
  done
  echo "round $line  (authenticate no-authenticate, req/s)"
  RESULTS+=("$line")
done
printf '%s\n' "${RESULTS[@]}" | python3 -c '
import statistics, sys
rows = [list(map(float, l.split()[1:])) for l in sys.stdin if l.strip()]
a, p = (statistics.median(c) for c in zip(*rows))
r = statistics.median(x[0] / x[1] for x in rows)
print(f"median req/s: authenticate {a:.0f}  no-authenticate {p:.0f}")
print(f"median per-round ratio authenticate/no-authenticate = {r:.3f} (target >= 0.95)")
'

"$BIN" oauth-callback "$CALLS"

[ -n "${AUTH_COST:-}" ] || exit 0
# Instructions (Ir) and calls to malloc per request, from a callgrind dump per port.
kill "$SERVER" 2>/dev/null || true
wait "$SERVER" 2>/dev/null || true
CG=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$OUT" "$CG"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$CG/cg.out" "$BIN" serve "${PORTS[@]}" > "$OUT" 2>&1 &
SERVER=$!
for _ in $(seq 1200); do grep -q ready "$OUT" 2>/dev/null && break; sleep 0.1; done
LABELS=(authenticate no-authenticate)
for i in 0 1; do
  p=${PORTS[$i]}
  h2load -n 500 -c 4 --h1 -H 'X-Api-Key: secret-key' "http://127.0.0.1:$p/api/key" >/dev/null
  callgrind_control -z "$SERVER" >/dev/null 2>&1
  h2load -n "$AUTH_COST" -c 4 --h1 -H 'X-Api-Key: secret-key' "http://127.0.0.1:$p/api/key" >/dev/null
  callgrind_control -d "$SERVER" >/dev/null 2>&1
  dump=$(ls -t "$CG"/cg.out.* | head -1)
  python3 - "$dump" "$AUTH_COST" "${LABELS[$i]}" <<'PY'
import re, sys
names, ir, allocs, callee = {}, 0, 0, None
for line in open(sys.argv[1]):
    if line.startswith(("summary:", "totals:")):
        ir = int(line.split()[1])
    m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3).strip()
        if m.group(1):
            callee = names.get(m.group(2))
        continue
    if line.startswith("calls="):
        if callee in ("malloc", "calloc", "realloc"):
            allocs += int(line.split("=")[1].split()[0])
        callee = None
n = int(sys.argv[2])
print(f"{sys.argv[3]}: {ir / n:.0f} instructions/request, {allocs / n:.2f} mallocs/request (callgrind, {n} requests)")
PY
done
