#!/usr/bin/env bash
# Where a request's time goes (issue 15), in figures the host's load does not move: for the
# contestants of bench/engine.sh, per request, the instructions, instruction-cache misses (I1),
# first-level data-cache misses (D1, reads and writes) and mispredicted branches (conditional and
# indirect) from valgrind's callgrind with its cache and branch simulation, then each figure as a
# ratio to actix-web's. A load test on a busy or shared host moves by more than the gaps between
# these servers; these counts move by about 1 % or less between runs (instructions) or by up to a
# quarter (the D1 misses, which depend on where the heap and the stack land), and show what the
# instruction count alone does not: actix-web runs more instructions than oxtor and misses the
# instruction cache less.
#
# `lines` is the code a request runs, in 64-byte lines (a line run once or more per request counts
# 1): on these machines a request's code is larger than the 32 KiB first-level instruction cache,
# so every line of it tends to miss once per request, whatever it holds (callgrind with
# --dump-instr=yes: misses per function equal its lines). The I1 misses move with where the linker
# put each function (the cache is 8-way: some sets overflow, others not) by about 2 % between two
# builds of the same code; the lines move by 0.2 %, and show what a change adds to or takes from
# the code a request runs.
#
#   bench/engine_counts.sh                       # builds what it needs (aligned, as engine.sh)
#   ROUTES=/hello CONTESTANTS="showcase actix" bench/engine_counts.sh
#   BASELINE_BIN=/tmp/old/bench_oxtor bench/engine_counts.sh   # before/after, side by side
#
# Contestants (as bench/engine.sh, release builds with 64-byte function alignment):
#   showcase  `bench_oxtor PORT showcase` (Compression + HttpRequestLifecycle)
#   oxtor     `bench_oxtor PORT` (no plugins)
#   axum      `bench_axum PORT` (axum::serve)
#   actix     `bench_actix PORT` (one worker)
#   hyper     `bench_hyper PORT` (a hand-written service_fn on hyper alone)
#   compression, lifecycle  `bench_oxtor PORT compression|lifecycle`: one of the showcase's two
#             plugins alone (not in the defaults; name them in CONTESTANTS)
#   showcase@base, oxtor@base  the same two from BASELINE_BIN, a bench_oxtor built from another
#             commit (build it with `build_aligned` of bench/lib.sh there, so that both align
#             their functions alike); with BASELINE_BIN set, the default contestants include them
#             and the table ends with each figure of showcase and oxtor divided by its baseline's
# Each server is pinned to CPU SERVER_CPU, so that it runs one worker as in bench/engine.sh
# (valgrind runs a program's threads one at a time through one simulated cache: a second worker
# would evict the first one's lines, which separate cores would not).
# Load: `h2load --h1`, CONNECTIONS keep-alive connections, N requests after 500 of warm-up; the
# counters are zeroed after the warm-up and dumped after the N requests (`callgrind_control`).
# The simulated caches are valgrind's defaults for this CPU (L1 32 KiB, 8-way, 64-byte lines on
# the machines this ran on): a model, not this CPU's counters, which this VM does not expose.
#
# Environment: N (2000), CONNECTIONS (8), ROUTES ("/hello /books.json /user/42"), CONTESTANTS
#              ("showcase oxtor axum actix hyper", plus the two baselines), SERVER_CPU (1),
#              BASE_PORT (18700), ALIGN (1), BASELINE_BIN (none).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_tools valgrind:valgrind h2load:nghttp2-client python3:python3

N=${N:-2000}
CONNECTIONS=${CONNECTIONS:-8}
ROUTES=${ROUTES:-/hello /books.json /user/42}
engine_contestants
port=${BASE_PORT:-18700}
SERVER_CPU=${SERVER_CPU:-1}

echo "== building the contestants"
build_aligned --bin bench_oxtor --bin bench_axum --bin bench_actix --bin bench_hyper
bench_workdir

# counts NAME ROUTE: sets $counted to "Ir I1mr D1mr D1mw Bcm Bim lines" per request. (Not run in a
# command substitution: the next port and the server's pid must reach this shell.)
counts() {
    local cmd vp out
    port=$((port + 1))
    cmd=$(contestant_command "$1" "$port")
    out="$work/cg.$1.${port}"
    # shellcheck disable=SC2086 # cmd is a command line
    taskset -c "$SERVER_CPU" valgrind --tool=callgrind -q --cache-sim=yes --branch-sim=yes \
        --dump-instr=yes "--callgrind-out-file=$out" $cmd >/dev/null 2>&1 &
    vp=$!
    pids+=("$vp")
    wait_port "$port"
    h2load --h1 -n 500 -c "$CONNECTIONS" "http://127.0.0.1:$port$2" >/dev/null
    callgrind_control -z "$vp" >/dev/null 2>&1
    h2load --h1 -n "$N" -c "$CONNECTIONS" "http://127.0.0.1:$port$2" >/dev/null
    callgrind_control -d "$vp" >/dev/null 2>&1
    kill -KILL "$vp" 2>/dev/null || true
    wait "$vp" 2>/dev/null || true
    counted=$(python3 - "$out.1" "$N" <<'EOF'
import re, sys
# Totals, and per 64-byte line of code the most any of its instructions ran (its Ir, with
# --dump-instr=yes each cost line is "address line-number events..."; a position may be
# relative to the last one, "+n", "-n" or "*"). The line after "calls=" is the call's inclusive
# cost at the call's address: its position counts, its cost is not this function's.
events, found, ran = None, {}, {}
addr, after_call, ir_field = 0, False, 2
position = re.compile(r"(0x[0-9a-f]+|[+-][0-9]+|\*)\s")
for line in open(sys.argv[1]):
    m = position.match(line)
    if m:
        p = m.group(1)
        if p.startswith("0x"):
            addr = int(p, 16)
        elif p != "*":
            addr += int(p)
        if after_call:
            after_call = False
            continue
        fields = line.split()
        if len(fields) > ir_field:
            ir = int(fields[ir_field])
            if ir > ran.get(addr >> 6, 0):
                ran[addr >> 6] = ir
    elif line.startswith("calls="):
        after_call = True
    elif line.startswith("events:"):
        events = line.split()[1:]
        # (Written before any cost line; after the address and the source line number.)
        ir_field = 2 + events.index("Ir")
    elif line.startswith(("summary:", "totals:")):
        key, _, values = line.partition(":")
        found[key] = [int(v) for v in values.split()]
totals = found.get("totals") or found.get("summary")
if not events or not totals:
    sys.exit(f"no totals in {sys.argv[1]}")
got = dict(zip(events, totals))
n = float(sys.argv[2])
# Lines of code per request: a line a request runs once or more counts 1, one every other
# request 0.5.
lines = sum(min(1.0, r / n) for r in ran.values())
print(" ".join(f"{got.get(e, 0) / n:.1f}" for e in ("Ir", "I1mr", "D1mr", "D1mw", "Bcm", "Bim")), f"{lines:.1f}")
EOF
    )
}

echo "== per request: callgrind, $N requests over $CONNECTIONS connections after 500"
printf '%-12s %-13s %9s %8s %8s %8s %7s | %9s %9s %9s %9s\n' route server instr I1-miss D1-miss \
    br-miss lines 'instr/ax' 'I1/ax' 'D1/ax' 'lines/ax'
declare -A row
for route in $ROUTES; do
    row=()
    for name in $CONTESTANTS; do
        counts "$name" "$route"
        row[$name]=$counted
    done
    for name in $CONTESTANTS; do
        # Columns: the counts, then the ratios to actix-web's (when it ran).
        awk -v route="$route" -v name="$name" -v mine="${row[$name]}" -v ax="${row[actix]:-}" 'BEGIN {
            split(mine, m, " ")
            printf "%-12s %-13s %9.0f %8.0f %8.0f %8.0f %7.0f |", route, name, m[1], m[2], m[3] + m[4], \
                m[5] + m[6], m[7]
            if (split(ax, a, " ") == 7) {
                printf " %9.3f %9.3f %9.3f %9.3f\n", m[1] / a[1], m[2] / a[2], (m[3] + m[4]) / (a[3] + a[4]), \
                    m[7] / a[7]
            } else {
                printf " %9s %9s %9s %9s\n", "-", "-", "-", "-"
            }
        }'
    done
    # Before/after: showcase and oxtor divided by their baselines, every figure.
    for name in showcase oxtor; do
        [ -n "${row[$name]:-}" ] && [ -n "${row[$name@base]:-}" ] || continue
        awk -v route="$route" -v name="$name" -v mine="${row[$name]}" -v base="${row[$name@base]}" 'BEGIN {
            split(mine, m, " "); split(base, b, " ")
            printf "%-12s %-13s instr %.3f, I1 misses %.3f, D1 misses %.3f, branch misses %.3f, lines %.3f\n", \
                route, name " / base", m[1] / b[1], m[2] / b[2], (m[3] + m[4]) / (b[3] + b[4]), \
                (m[5] + m[6]) / (b[5] + b[6]), m[7] / b[7]
        }'
    done
done
