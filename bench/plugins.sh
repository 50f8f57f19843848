#!/usr/bin/env bash
# Server plugins benchmark (issue 14), side by side in one run: GET /hello with each plugin
# installed through oxtor vs the same tower-http layer on hand-written axum (bare axum where
# tower-http has none), both on axum::serve; every plugin at once vs every one of those tower-http
# layers at once (`stack`, both on axum::serve); and every plugin at once on oxtor's engine vs
# bare axum (`all`). One process on a one-thread runtime pinned to CPU 0, wrk pinned to CPU 1, 64
# connections, each request with an `Origin` header (so CORS does its work). Per round the two
# sides of a pair run back to back and their ratio is taken; the median over rounds is
# reported (target >= 0.98x per pair).
# Usage: bench/plugins.sh [ROUNDS] [SECS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; SECS=${2:-3}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -p oxtor-bench --bin plugins_bench >/dev/null 2>&1 || cargo build --release -p oxtor-bench --bin plugins_bench
BIN=target/release/plugins_bench
BASE=${BASE_PORT:-18300}

OUT=$(mktemp)
taskset -c 0 "$BIN" serve "$BASE" > "$OUT" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 100); do grep -q ready "$OUT" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$OUT" || { cat "$OUT"; exit 1; }
mapfile -t SERVERS < <(sed -n '/ready/,$p' "$OUT" | tail -n +2)

rps() {
  taskset -c 1 wrk -t1 -c64 -d"${SECS}s" -H "Origin: http://example.com" "http://127.0.0.1:$1/hello" \
    | awk '/Requests\/sec/ {print $2}'
}

RESULTS=$(mktemp)
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$OUT" "$RESULTS"' EXIT
for ((i = 0; i < ${#SERVERS[@]}; i += 2)); do
  read -r a_name a_port <<<"${SERVERS[$i]}"
  read -r b_name b_port <<<"${SERVERS[$((i + 1))]}"
  curl -fs -H "Origin: http://example.com" "http://127.0.0.1:$a_port/hello" >/dev/null
  curl -fs -H "Origin: http://example.com" "http://127.0.0.1:$b_port/hello" >/dev/null
  for r in $(seq "$ROUNDS"); do
    echo "${a_name%%/*} $a_name $(rps "$a_port") $b_name $(rps "$b_port")" | tee -a "$RESULTS"
  done
done
python3 - "$RESULTS" <<'PY'
import statistics, sys
pairs = {}
for line in open(sys.argv[1]):
    key, a, ra, b, rb = line.split()
    pairs.setdefault(key, (a, b, []))[2].append((float(ra), float(rb)))
print(f"{'plugin':<18} {'oxtor req/s':>12} {'baseline req/s':>15}  ratio (median per round)  baseline")
for key, (a, b, rows) in pairs.items():
    ra = statistics.median(r[0] for r in rows)
    rb = statistics.median(r[1] for r in rows)
    ratio = statistics.median(r[0] / r[1] for r in rows)
    print(f"{key:<18} {ra:>12.0f} {rb:>15.0f}  {ratio:>6.3f}x                   {b}")
PY
