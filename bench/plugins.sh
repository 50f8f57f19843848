#!/usr/bin/env bash
# Server plugins benchmark (issue 14), side by side in one run: GET /hello with each plugin
# installed through oxtor vs the same tower-http layer on hand-written axum (bare axum where
# tower-http has none), both on axum::serve; every plugin at once vs every one of those tower-http
# layers at once (`stack`, both on axum::serve); and every plugin at once on oxtor's engine vs
# bare axum (`all`). One process on a one-thread runtime pinned to CPU 0, wrk pinned to CPU 1, 64
# connections, each request with an `Origin` header (so CORS does its work). Per round the two
# sides of a pair run back to back and their ratio is taken; the median over rounds is
# reported (target >= 0.98x per pair).
# With COUNT=1, instead: instructions per request of every server (callgrind over N requests,
# 2000 by default, after 500 of warm-up, `h2load --h1 -c 4` with the same `Origin`), figures
# background load does not move; BASELINE_BIN=/path/to/old/plugins_bench adds an older build's.
# Usage: bench/plugins.sh [ROUNDS] [SECS]
#        COUNT=1 [N=2000] [BASELINE_BIN=..] bench/plugins.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}; SECS=${2:-3}
source bench/lib.sh
cargo build --release -p oxtor-bench --bin plugins_bench >/dev/null 2>&1 || cargo build --release -p oxtor-bench --bin plugins_bench
BIN=target/release/plugins_bench
BASE=${BASE_PORT:-18300}

if [ "${COUNT:-0}" = 1 ]; then
  need_tools valgrind:valgrind h2load:nghttp2-client
  N=${N:-2000}
  bench_workdir
  # count BIN TAG: "name Ir/req" for each server of BIN, one callgrind dump per server.
  count() {
    local out="$work/$2.out" dumps=0 name port
    valgrind --tool=callgrind -q "--callgrind-out-file=$work/$2.cg" "$1" serve "$BASE" >"$out" 2>&1 &
    local vp=$!
    pids+=("$vp")
    for _ in $(seq 600); do grep -q ready "$out" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$out" || { cat "$out" >&2; exit 1; }
    while read -r name port; do
      local url="http://127.0.0.1:$port/hello"
      h2load --h1 -n 500 -c 4 -H "Origin: http://example.com" "$url" >/dev/null
      callgrind_control -z "$vp" >/dev/null 2>&1
      h2load --h1 -n "$N" -c 4 -H "Origin: http://example.com" "$url" >/dev/null
      callgrind_control -d "$vp" >/dev/null 2>&1
      dumps=$((dumps + 1))
      for _ in $(seq 100); do [ -s "$work/$2.cg.$dumps" ] && break; sleep 0.1; done
      awk -v n="$N" -v name="$name" '/^(summary|totals):/ {printf "%s %.0f\n", name, $2 / n; exit}' "$work/$2.cg.$dumps"
    done < <(sed -n '/ready/,$p' "$out" | tail -n +2)
    # Every dump is written; the process serves until killed (`serve` never returns).
    kill -KILL "$vp" 2>/dev/null || true
    wait "$vp" 2>/dev/null || true
  }
  count "$BIN" new >"$work/new"
  [ -n "${BASELINE_BIN:-}" ] && count "$BASELINE_BIN" old >"$work/old"
  python3 - "$work/new" "$work/old" <<'PY'
import os, sys
def read(path):
    return dict(line.split() for line in open(path)) if os.path.exists(path) else {}
new, old = read(sys.argv[1]), read(sys.argv[2])
pairs = {}
for name in new:
    pairs.setdefault(name.split("/")[0], []).append(name)
head = f"{'pair':<18} {'oxtor Ir/req':>12} {'baseline Ir/req':>15}  baseline/oxtor  baseline"
if old:
    head += f"  | {'oxtor old':>9}  new/old"
print(head)
for key, (a, b) in pairs.items():
    line = f"{key:<18} {new[a]:>12} {new[b]:>15}  {int(new[b]) / int(new[a]):>13.3f}x  {b}"
    if a in old:
        line += f"  | {old[a]:>9}  {int(new[a]) / int(old[a]):.3f}x"
    print(line)
PY
  exit 0
fi
command -v wrk >/dev/null || need_tools wrk:wrk

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
