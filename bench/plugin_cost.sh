#!/usr/bin/env bash
# Per-request cost of the showcase's plugins (issue 15), in figures background load does not
# change: instructions and atomic (bus-locked) operations per request (valgrind callgrind with
# `--collect-bus=yes`, counters zeroed after a warm-up, N requests) and heap allocations /
# bytes per request (valgrind dhat, two runs of N1 and N2 requests, the difference divided by
# N2 - N1, so start-up cancels out). An atomic read-modify-write (a reference count, a lock)
# is one instruction but costs some 20 cycles or more uncontended, which instruction counts
# do not show.
#
#   bench/plugin_cost.sh                         # this tree
#   BASELINE_BIN=/path/to/old/release/bench_oxtor bench/plugin_cost.sh   # and an older build
#   OTHERS="bench_actix bench_axum" bench/plugin_cost.sh          # and the baselines (no plugin)
#
# Servers: `bench_oxtor PORT [VARIANT]` with no plugin, `compression`, `lifecycle` and
# `showcase` (both), on GET /hello and GET /books.json without `Accept-Encoding` (identity);
# variants `app:NAME` are `plugins_bench app PORT NAME` (`bare`, `three` app-wide layers: the
# showcase's Compression, DefaultHeaders, StatusPages; `all` ten plugins), on GET /hello only.
# load: `h2load --h1 -c 4` (H2LOAD_ARGS="-m 10": h2c, 10 streams per connection). With
# BASELINE_BIN each row also gives the baseline (its `plugins_bench` is the one next to it) and
# new/old.
# Environment: N (2000), N1 (300), N2 (1300), VARIANTS ("bare compression lifecycle showcase
#              app:bare app:three"), PATHS ("/hello /books.json"), BASE_PORT (18400), OTHERS
#              (none: release bins of bench/src/bin measured after the variants, on the same
#              paths, without plugins), H2LOAD_ARGS (--h1).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_tools valgrind:valgrind h2load:nghttp2-client python3:python3 bc:bc

N=${N:-2000}; N1=${N1:-300}; N2=${N2:-1300}
VARIANTS=${VARIANTS:-bare compression lifecycle showcase app:bare app:three}
PATHS=${PATHS:-/hello /books.json}
port=${BASE_PORT:-18400}
BASELINE_BIN=${BASELINE_BIN:-}
OTHERS=${OTHERS:-}
H2LOAD_ARGS=${H2LOAD_ARGS:---h1}

echo "== building the release server"
cargo build --release --quiet -p oxtor-bench --bin bench_oxtor --bin plugins_bench
for other in $OTHERS; do cargo build --release --quiet -p oxtor-bench --bin "$other"; done
bin=$(pwd)/target/release/bench_oxtor
bench_workdir

# shellcheck disable=SC2086 # H2LOAD_ARGS is a list of arguments
load() { h2load $H2LOAD_ARGS -n "$2" -c 4 "http://127.0.0.1:$1$3" >/dev/null; }

# serve TOOL OUT BIN VARIANT: starts BIN (or, for `app:NAME`, the `plugins_bench` next to it)
# under valgrind on a fresh port; sets $vp and $port.
serve() {
    local tool=$1 out=$2 server=$3 variant=$4 cmd
    port=$((port + 1))
    case "$variant" in
        app:*) cmd=("$(dirname "$server")/plugins_bench" app "$port" "${variant#app:}") ;;
        bare) cmd=("$server" "$port") ;;
        *) cmd=("$server" "$port" "$variant") ;;
    esac
    # shellcheck disable=SC2086 # TOOL_ARGS is a list of arguments
    valgrind --tool="$tool" -q ${TOOL_ARGS:-} "--$tool-out-file=$out" "${cmd[@]}" >/dev/null 2>&1 &
    vp=$!
    pids+=("$vp")
    wait_port "$port"
}

# stop PID: SIGINT (graceful shutdown, so valgrind writes its output), waits.
stop() {
    kill -INT "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# instructions BIN VARIANT PATH -> "instructions atomics" per request
instructions() {
    TOOL_ARGS=--collect-bus=yes serve callgrind "$work/cg.%p" "$1" "$2"
    load "$port" 500 "$3"
    callgrind_control -z "$vp" >/dev/null 2>&1
    load "$port" "$N" "$3"
    callgrind_control -d "$vp" >/dev/null 2>&1
    sleep 0.5
    stop "$vp"
    awk -v n="$N" '/^(summary|totals):/ {printf "%.0f %.1f\n", $2 / n, $3 / n; exit}' "$work/cg.$vp.1"
}

# heap BIN VARIANT PATH REQUESTS -> "blocks bytes" over the whole run
heap() {
    serve dhat "$work/dh.json" "$1" "$2"
    load "$port" "$4" "$3"
    stop "$vp"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(p["tbk"] for p in d["pps"]), sum(p["tb"] for p in d["pps"]))' "$work/dh.json"
}

# measure BIN VARIANT PATH -> "Ir/req atomics/req allocs/req bytes/req"
measure() {
    local ir ge b1 k1 b2 k2
    read -r ir ge < <(instructions "$1" "$2" "$3")
    read -r k1 b1 < <(heap "$1" "$2" "$3" "$N1")
    read -r k2 b2 < <(heap "$1" "$2" "$3" "$N2")
    python3 -c 'import sys; ir,ge,k1,b1,k2,b2,n=map(float,sys.argv[1:]); print(f"{ir:.0f} {ge:.1f} {(k2-k1)/n:.2f} {(b2-b1)/n:.0f}")' \
        "$ir" "$ge" "$k1" "$b1" "$k2" "$b2" "$((N2 - N1))"
}

printf '%-12s %-11s %9s %10s %10s %9s' variant path Ir/req atomics/req allocs/req B/req
[ -n "$BASELINE_BIN" ] && printf ' | %9s %11s %10s %9s | %8s' base-Ir base-atomics base-alloc base-B Ir-ratio
echo
for variant in $VARIANTS; do
    paths=$PATHS
    case "$variant" in app:*) paths=/hello ;; esac
    for path in $paths; do
        read -r ir ge al by < <(measure "$bin" "$variant" "$path")
        printf '%-12s %-11s %9s %10s %10s %9s' "$variant" "$path" "$ir" "$ge" "$al" "$by"
        if [ -n "$BASELINE_BIN" ]; then
            read -r bir bge bal bby < <(measure "$BASELINE_BIN" "$variant" "$path")
            printf ' | %9s %11s %10s %9s | %7.3fx' "$bir" "$bge" "$bal" "$bby" "$(echo "$ir / $bir" | bc -l)"
        fi
        echo
    done
done
for other in $OTHERS; do
    for path in $PATHS; do
        read -r ir ge al by < <(measure "$(pwd)/target/release/$other" bare "$path")
        printf '%-12s %-11s %9s %10s %10s %9s\n' "$other" "$path" "$ir" "$ge" "$al" "$by"
    done
done
