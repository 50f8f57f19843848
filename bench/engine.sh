#!/usr/bin/env bash
# Engine load test (issue 15): oxtor against axum 0.8 (`axum::serve`) and actix-web 4 (one
# worker), the fastest mainstream Rust framework, with the same handlers on every side.
#
#   bench/engine.sh                # from anywhere; builds what it needs, installs wrk/h2load if missing
#
# Contestants (release builds, see bench/src/bin/):
#   showcase  oxtor with the plugins the showcase ships with (`bench_oxtor PORT showcase`:
#             Compression zstd-3/br/gzip/deflate + HttpRequestLifecycle { cancel_call_on_close })
#   oxtor     bare oxtor, no plugins (`bench_oxtor PORT`)
#   axum      hand-written axum on `axum::serve` (`bench_axum PORT`)
#   actix     hand-written actix-web, `HttpServer::workers(1)` (`bench_actix PORT`)
#   axum-zstd axum + tower-http `CompressionLayer` at zstd level 3 (`bench_axum PORT compression`)
#   hyper     the floor: hyper alone, a hand-written `service_fn` on the connection builder oxtor
#             and axum::serve use (`bench_hyper PORT`): no router, no extensions, no boxes
#   hyper-router  the same connections serving bench_axum's `Router` (`bench_hyper PORT router`):
#             hyper plus axum's per-request routing, without axum::serve or oxtor's engine
#   hyper-handler  the same connections, the paths matched by hand, each calling its axum
#             handler through `Handler::call` (`bench_hyper PORT handler`): axum's extraction
#             and response conversion without its routing (/user/42 still goes through the
#             Router: axum's `Path` reads URL parameters only axum's routing makes)
#   showcase-tpc, oxtor-tpc  the same two in the engine's thread-per-core mode with one worker
#             (`bench_oxtor PORT showcase 1`, `bench_oxtor PORT none 1`): a current-thread
#             runtime, as actix-web's worker, instead of the multi-thread `#[tokio::main]` one
# Handlers: GET /hello (13-byte plaintext), GET /books.json (the showcase's 30 books, serialised
# per request, identity), GET /user/42 (one path parameter), and GET /books.json with
# `Accept-Encoding: zstd` (showcase against axum-zstd). Every server installs the tracing
# subscriber the showcase installs (`oxtor_bench::log_like_the_showcase`): without one, the h2
# crate's disabled spans go through the `log` facade on every axum-based side (about 19 % of an
# h2c request), a cost no user with a subscriber pays.
#
# Build: every contestant is built with its functions aligned to 64 bytes (ALIGN=0: the
# compiler's default), so that the code they share runs at the same alignment in each binary;
# see `build_aligned` in bench/lib.sh for what that removes (about 8 % on /books.json).
#
# Method (as bench/foundation.sh): every server is pinned to CPU SERVER_CPU with `taskset`, so each
# runs one worker; wrk (one thread, CONNECTIONS keep-alive connections) or h2load is pinned to
# CPU CLIENT_CPU. Only one server is under load at a time. Each table row is measured in ROUNDS
# rounds of DURATION per contestant; the order rotates each round. A ratio is the median over
# rounds of the paired ratio (a run divided by the other side's run of the same round), the
# figure to read on a machine with background load. "CPU us/req" is the server's user+system
# time over the run (/proc/PID/stat) divided by the requests completed, the figure least
# disturbed by other load (time spent waiting for the CPU is not counted); its system (kernel)
# part is reported too. On loopback most of a request's CPU is the kernel's: the server's
# `recvfrom` and `sendto`, which also delivers the response into wrk's socket. Every contestant
# makes the same calls (`strace -c`: one of each per request), and what they cost moves with
# the host between windows of a few seconds, alike for every side.
#
# Each round ends with the share of CPU time the host took from this VM during it (steal time,
# /proc/stat), and the results start with it over all rounds: on a shared host a round with
# stolen time measures the other guests too, which is why ratios move between runs.
#
# Tables printed:
#   1. HTTP/1.1 throughput, wrk -t1 -cCONNECTIONS: req/s, CPU us/req, and the paired ratios
#      showcase/actix, showcase/axum, oxtor/axum, oxtor/actix; then where the time goes: the
#      hyper floor, hyper + axum's handlers (no routing) and hyper + axum's Router against
#      actix-web, and oxtor against hyper + Router (what oxtor's engine adds to a request);
#      and issue 15's targets, each with its median ratio, its lowest and highest round, and
#      whether it was met in every round, by the median only, or not; then each contestant's CPU
#      per request split into user space and kernel.
#   2. h2c throughput, `h2load -c H2_CONNECTIONS -m H2_STREAMS` on /hello: showcase, oxtor, axum
#      (actix-web has no h2c).
#   4. (MULTI_CORE=1, the default) Both cores serving: every server may run on CPUs
#      SERVER_CPU and CLIENT_CPU with two workers (oxtor's default multi-thread runtime, oxtor
#      thread-per-core with 2 workers, axum's multi-thread runtime, actix-web with 2 workers),
#      wrk -t2 unpinned as a separate process sharing them; GET /hello.
#   3. Latency at a fixed offered load on /hello: wrk with LATENCY_CONNECTIONS connections that
#      each wait 1 ms after every answer (a closed loop with think time, about
#      LATENCY_CONNECTIONS x 1000 req/s offered, far below every contestant's capacity):
#      achieved req/s, p50 and p99.
# When run as root, servers and load generators run at `nice -n $NICE` (default -20); NICE=0
# turns that off.
#
# TARGETS_ONLY=1 runs only what issue 15's targets compare (showcase, oxtor, axum and actix-web on
# the three HTTP/1.1 routes) and prints only table 1, by default in 20 rounds of 2 s: more paired
# ratios, each from runs a few seconds apart, so that the median and the middle half of the
# rounds (the targets table's quartiles) move less with the host's load than 3 rounds of 5 s.
#
# FLOOR=1 (with TARGETS_ONLY=1) adds hyper alone and the thread-per-core pair (showcase-tpc,
# oxtor-tpc) to those rounds, and prints after table 1 the floor table: what hyper alone does
# against actix-web, and each oxtor contestant against hyper alone, with the same medians and
# quartiles as the targets (about 10 minutes more).
#
# RESTART=1 (the default with TARGETS_ONLY=1) starts table 1's contestants afresh before every
# round after the first, each warmed up for RESTART_WARMUP seconds per route. A server process
# keeps its heap layout for as long as it runs, and with it how much of a response's growing
# buffer malloc copies: callgrind (`h2load --h1 -c 64`, 2,000 requests) counts 276, 495 and 476
# instructions a `/books.json` request in `memcpy` from `realloc` for three processes of one
# binary (bare oxtor), with up to 45 more data-cache write misses. Kept for a whole run, that luck
# leans every round of a contestant the same way; a fresh process per round makes it one more
# source of round-to-round noise, which the median over the rounds absorbs. It adds about 13 s a
# round (4 minutes to the default TARGETS_ONLY run).
#
# Environment: ROUNDS (3), DURATION (5, seconds), CONNECTIONS (64), H2_CONNECTIONS (64),
#              H2_STREAMS (32), LATENCY_CONNECTIONS (32), WARMUP (2, seconds), NICE (-20 as
#              root), BASE_PORT (18180: fourteen consecutive ports), SERVER_CPU (1), CLIENT_CPU (0),
#              MULTI_CORE (1), ALIGN (1), TARGETS_ONLY (0), FLOOR (0), RESTART (1 with
#              TARGETS_ONLY=1, else 0), RESTART_WARMUP (1, seconds).
set -euo pipefail

TARGETS_ONLY=${TARGETS_ONLY:-0}
if [ "$TARGETS_ONLY" = 1 ]; then
    ROUNDS=${ROUNDS:-20}
    DURATION=${DURATION:-2}
    MULTI_CORE=0
fi
FLOOR=${FLOOR:-0}
RESTART=${RESTART:-$TARGETS_ONLY}
RESTART_WARMUP=${RESTART_WARMUP:-1}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-64}
H2_CONNECTIONS=${H2_CONNECTIONS:-64}
H2_STREAMS=${H2_STREAMS:-32}
LATENCY_CONNECTIONS=${LATENCY_CONNECTIONS:-32}
WARMUP=${WARMUP:-2}
BASE_PORT=${BASE_PORT:-18180}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
MULTI_CORE=${MULTI_CORE:-1}
if [ "$(id -u)" -eq 0 ]; then NICE=${NICE:--20}; else NICE=0; fi

cd "$(dirname "$0")/.."
root=$(pwd)

source bench/lib.sh
need_tools wrk:wrk h2load:nghttp2-client taskset:util-linux

echo "== building release servers (functions aligned to 64 bytes, see build_aligned in bench/lib.sh)"
build_aligned --bin bench_oxtor --bin bench_axum --bin bench_actix --bin bench_hyper

bench_workdir
declare -A pid_of port_of args_of

# GET over bash's /dev/tcp; prints the whole response.
http_get() {
    local port=$1 path=$2
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
    cat <&3
    exec 3<&-
}

# start NAME PORT BINARY [ARG..] (pinned to SERVER_CPU, or to the CPUs in $cpus if set)
start() {
    local name=$1 port=$2
    shift 2
    nice -n "$NICE" taskset -c "${cpus:-$SERVER_CPU}" "$bin/$1" "$port" "${@:2}" >>"$work/$name.log" 2>&1 &
    pids+=("$!")
    pid_of[$name]=$!
    port_of[$name]=$port
    args_of[$name]="$*"
    for _ in $(seq 100); do
        if http_get "$port" /hello >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "error: $name did not start on port $port" >&2
    cat "$work/$name.log" >&2
    exit 1
}

# restart NAME: stops the server NAME and starts it afresh, on the same port and CPUs, with the
# same arguments.
restart() {
    local name=$1 pid=${pid_of[$1]}
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # shellcheck disable=SC2086 # the binary and its arguments
    start "$name" "${port_of[$name]}" ${args_of[$name]}
}

# The HTTP/1.1 contestants (table 1), in the order each round starts rotating from.
http1_names="showcase oxtor axum actix"
start showcase $((BASE_PORT)) bench_oxtor showcase
start oxtor $((BASE_PORT + 1)) bench_oxtor
start axum $((BASE_PORT + 2)) bench_axum
start actix $((BASE_PORT + 3)) bench_actix
if [ "$TARGETS_ONLY" != 1 ] || [ "$FLOOR" = 1 ]; then
    http1_names="$http1_names showcase-tpc oxtor-tpc hyper"
    start showcase-tpc $((BASE_PORT + 5)) bench_oxtor showcase 1
    start oxtor-tpc $((BASE_PORT + 6)) bench_oxtor none 1
    start hyper $((BASE_PORT + 11)) bench_hyper
fi
if [ "$TARGETS_ONLY" != 1 ]; then
    http1_names="$http1_names hyper-router hyper-handler"
    start axum-zstd $((BASE_PORT + 4)) bench_axum compression
    start hyper-router $((BASE_PORT + 12)) bench_hyper router
    start hyper-handler $((BASE_PORT + 13)) bench_hyper handler
fi
if [ "$MULTI_CORE" = 1 ]; then
    cpus="$SERVER_CPU,$CLIENT_CPU"
    start oxtor-mt2 $((BASE_PORT + 7)) bench_oxtor
    start oxtor-tpc2 $((BASE_PORT + 8)) bench_oxtor none 2
    start axum-mt2 $((BASE_PORT + 9)) bench_axum
    start actix-2 $((BASE_PORT + 10)) bench_actix 2
    unset cpus
fi

echo "== checking every server answers the same"
for path in /hello /books.json /user/42; do
    want=$(http_get "${port_of[axum]}" "$path" | sed -n '$p')
    for name in $http1_names; do
        got=$(http_get "${port_of[$name]}" "$path" | sed -n '$p')
        if [ "$got" != "$want" ] || [ -z "$got" ]; then
            echo "error: $path differs: $name '${got:0:60}', axum '${want:0:60}'" >&2
            exit 1
        fi
    done
    echo "   $path -> ${want:0:60}"
done

# wrk's latency (e.g. 812.00us, 1.20ms, 1.01s) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
        printf "%.3f", n }'
}

# user+system and system (kernel) CPU ticks of a process, all its threads: "total kernel".
cpu_ticks() { awk '{ print $14 + $15, $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# per_request TICKS0 TICKS1 REQUESTS: "cpu_us kernel_us" per request between two cpu_ticks.
per_request() {
    awk -v a="$1" -v b="$2" -v hz="$hz" -v n="$3" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        printf "%.3f %.3f", (y[1] - x[1]) / hz * 1e6 / n, (y[2] - x[2]) / hz * 1e6 / n }'
}
client() { nice -n "$NICE" taskset -c "$CLIENT_CPU" "$@"; }

# One wrk run. wrk_run TABLE ROW ROUND NAME PATH [wrk args..] -> appends
# "table row round name rps p50ms p99ms cpu_us_per_req kernel_us_per_req" to $work/results.
wrk_run() {
    local table=$1 row=$2 round=$3 name=$4 path=$5 out t0 t1
    shift 5
    t0=$(cpu_ticks "${pid_of[$name]}")
    out=$(client wrk -t1 -d"${DURATION}s" --latency "$@" "http://127.0.0.1:${port_of[$name]}$path")
    t1=$(cpu_ticks "${pid_of[$name]}")
    local socket_errors
    socket_errors=$(awk -F'[ ,]+' '/Socket errors:/ { print $5 + $7 + $9 }' <<<"$out")
    if grep -q "Non-2xx" <<<"$out" || [ "${socket_errors:-0}" -gt 0 ]; then
        echo "error: $name $path: errors during the run" >&2
        echo "$out" >&2
        exit 1
    fi
    local rps p50 p99 requests cpu kernel
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    requests=$(awk '/ requests in / { print $1 }' <<<"$out")
    read -r cpu kernel <<<"$(per_request "$t0" "$t1" "$requests")"
    echo "$table $row $round $name $rps $p50 $p99 $cpu $kernel" >>"$work/results"
    printf '   %-9s %-16s %10.0f req/s  p50 %7s ms  p99 %7s ms  %6s us CPU/req (%s kernel)\n' \
        "$name" "$row" "$rps" "$p50" "$p99" "$cpu" "$kernel"
}

# One h2load run (h2c, prior knowledge). h2_run ROUND NAME -> appends to $work/results.
h2_run() {
    local round=$1 name=$2 out t0 t1
    t0=$(cpu_ticks "${pid_of[$name]}")
    out=$(client h2load -c "$H2_CONNECTIONS" -m "$H2_STREAMS" -D "$DURATION" \
        "http://127.0.0.1:${port_of[$name]}/hello")
    t1=$(cpu_ticks "${pid_of[$name]}")
    local rps done_ failed
    rps=$(awk '/^finished in/ { print $4 }' <<<"$out")
    read -r done_ failed < <(awk '/^requests:/ { print $8, $10 }' <<<"$out")
    if [ "${failed:-1}" != 0 ] || [ -z "$rps" ]; then
        echo "error: $name h2c: failed requests" >&2
        echo "$out" >&2
        exit 1
    fi
    local cpu kernel
    read -r cpu kernel <<<"$(per_request "$t0" "$t1" "$done_")"
    echo "h2c /hello $round $name $rps 0 0 $cpu $kernel" >>"$work/results"
    printf '   %-9s %-16s %10.0f req/s  %6s us CPU/req\n' "$name" "h2c /hello" "$rps" "$cpu"
}

# rotate ROUND NAME.. -> the names rotated by ROUND (so every contestant goes first in turn).
rotate() {
    local round=$1
    shift
    local names=("$@") n=$# i
    for ((i = 0; i < n; i++)); do printf '%s ' "${names[$(((i + round) % n))]}"; done
}

# warm_up NAME SECONDS: wrk on each of the three HTTP/1.1 routes of server NAME for SECONDS.
warm_up() {
    local path
    for path in /hello /books.json /user/42; do
        client wrk -t1 -c"$CONNECTIONS" -d"$2s" "http://127.0.0.1:${port_of[$1]}$path" >/dev/null
    done
}

echo "== warm-up (${WARMUP}s per server and handler)"
for name in $http1_names; do
    warm_up "$name" "$WARMUP"
done
if [ "$TARGETS_ONLY" != 1 ]; then
    for name in showcase axum-zstd; do
        client wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" -H "Accept-Encoding: zstd" \
            "http://127.0.0.1:${port_of[$name]}/books.json" >/dev/null
    done
fi
: >"$work/results"

# other_runs ROUND: the runs of a round besides table 1's (zstd, h2c, both cores, latency).
other_runs() {
    local round=$1 name t0 t1 out rps requests cpu kernel
    for name in $(rotate "$round" showcase axum-zstd); do
        wrk_run zstd "/books.json(zstd)" "$round" "$name" /books.json -c"$CONNECTIONS" \
            -H "Accept-Encoding: zstd"
    done
    for name in $(rotate "$round" showcase oxtor axum); do
        h2_run "$round" "$name"
    done
    if [ "$MULTI_CORE" = 1 ]; then
        for name in $(rotate "$round" oxtor-mt2 oxtor-tpc2 axum-mt2 actix-2); do
            # wrk unpinned, two threads: a separate process on the same two CPUs.
            t0=$(cpu_ticks "${pid_of[$name]}")
            out=$(nice -n "$NICE" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:${port_of[$name]}/hello")
            t1=$(cpu_ticks "${pid_of[$name]}")
            rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
            requests=$(awk '/ requests in / { print $1 }' <<<"$out")
            read -r cpu kernel <<<"$(per_request "$t0" "$t1" "$requests")"
            echo "multi /hello $round $name $rps 0 0 $cpu $kernel" >>"$work/results"
            printf '   %-10s %-16s %10.0f req/s  %6s us CPU/req\n' "$name" "2 cores /hello" "$rps" "$cpu"
        done
    fi
    for name in $(rotate "$round" showcase oxtor axum actix); do
        wrk_run latency /hello "$round" "$name" /hello -c"$LATENCY_CONNECTIONS" -s "$root/bench/paced.lua"
    done
}

steal_all=$(host_steal)
for round in $(seq "$ROUNDS"); do
    echo "== round $round/$ROUNDS (${DURATION}s per run)"
    steal_round=$(host_steal)
    if [ "$RESTART" = 1 ] && [ "$round" -gt 1 ]; then
        for name in $http1_names; do
            restart "$name"
            warm_up "$name" "$RESTART_WARMUP"
        done
    fi
    for path in /hello /books.json /user/42; do
        # shellcheck disable=SC2086 # a list of names
        for name in $(rotate "$round" $http1_names); do
            wrk_run http1 "$path" "$round" "$name" "$path" -c"$CONNECTIONS"
        done
    done
    if [ "$TARGETS_ONLY" != 1 ]; then
        other_runs "$round"
    fi
    echo "   host steal time this round: $(steal_percent "$steal_round" "$(host_steal)") % of CPU time"
done
steal_all=$(steal_percent "$steal_all" "$(host_steal)")

echo
echo "== results (servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU, nice $NICE, $ROUNDS rounds of ${DURATION}s)"
echo "host steal time over the rounds: $steal_all % of CPU time (time the hypervisor gave other guests; ratios between runs move with it)"
awk -v full="$([ "$TARGETS_ONLY" = 1 ] && echo 0 || echo 1)" -v floor="$FLOOR" -v rounds="$ROUNDS" -v c="$CONNECTIONS" -v h2c="$H2_CONNECTIONS" -v h2m="$H2_STREAMS" -v lc="$LATENCY_CONNECTIONS" '
    # The paired ratios a/b of table t, row r, over the rounds that ran both: a list.
    function ratios(t, r, a, b,    list, i) {
        list = ""
        for (i = 1; i <= rounds; i++)
            if ((t SUBSEP r SUBSEP i SUBSEP a) in rps && (t SUBSEP r SUBSEP i SUBSEP b) in rps)
                list = list " " rps[t, r, i, a] / rps[t, r, i, b]
        return list
    }
    # Splits list into v, sorted ascending; returns how many.
    function sorted(list, v,    m, i, j, x) {
        m = split(list, v, " ")
        for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
        return m
    }
    # The median over rounds of the paired ratio a/b of table t, row r.
    function paired(t, r, a, b,    m, v) {
        m = sorted(ratios(t, r, a, b), v)
        if (m == 0) return 0
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    # The first and third quartile of the paired ratios a/b of table t, row r: "q1 q3" (the
    # middle half of the rounds lies between them; nearest rank).
    function quartiles(t, r, a, b,    m, v) {
        m = sorted(ratios(t, r, a, b), v)
        if (m == 0) return "0 0"
        return v[int((m - 1) * 0.25 + 0.5) + 1] " " v[int((m - 1) * 0.75 + 0.5) + 1]
    }
    # The lowest and highest paired ratio a/b over the rounds of table t, row r: "lo hi".
    function extremes(t, r, a, b,    m, v) {
        m = sorted(ratios(t, r, a, b), v)
        return v[1] " " v[m]
    }
    # The ratio a/b on row r of table t as table cells: "median | q1–q3 | lowest–highest".
    function spread(t, r, a, b,    e, q) {
        split(extremes(t, r, a, b), e, " "); split(quartiles(t, r, a, b), q, " ")
        return sprintf("%.3f | %.3f–%.3f | %.3f–%.3f", paired(t, r, a, b), q[1], q[2], e[1], e[2])
    }
    # One row of the targets table: the ratio a/b on row r of table t against goal.
    function target(label, t, r, a, b, goal,    m, e, q, verdict) {
        m = paired(t, r, a, b); split(extremes(t, r, a, b), e, " "); split(quartiles(t, r, a, b), q, " ")
        if (e[1] >= goal) verdict = "met in every round"
        else if (q[1] >= goal) verdict = "met by the middle half of the rounds"
        else if (m >= goal) verdict = "met by the median, not in every round"
        else if (q[2] < goal) verdict = "missed by the middle half of the rounds"
        else if (e[2] >= goal) verdict = "missed by the median, met in some round"
        else verdict = "missed in every round"
        printf "| %s | %.2f | %s | %s |\n", label, goal, spread(t, r, a, b), verdict
    }
    # CPU us per request of name on row r of the HTTP/1.1 table as "user + kernel".
    function user_kernel(r, name,    k) {
        k = mean(kernel, "http1", r, name)
        return sprintf("%.2f + %.2f", mean(cpu, "http1", r, name) - k, k)
    }
    function mean(arr, t, r, name,    i, s, n) {
        s = 0; n = 0
        for (i = 1; i <= rounds; i++) if ((t SUBSEP r SUBSEP i SUBSEP name) in arr) { s += arr[t, r, i, name]; n++ }
        return n ? s / n : 0
    }
    {
        rps[$1, $2, $3, $4] = $5; p50[$1, $2, $3, $4] = $6; p99[$1, $2, $3, $4] = $7; cpu[$1, $2, $3, $4] = $8
        kernel[$1, $2, $3, $4] = $9
        if (!seen[$1, $2]++) rows[$1] = rows[$1] " " $2
    }
    END {
        printf "HTTP/1.1, wrk -t1 -c%d: mean req/s (CPU us/req); ratios are medians of paired ratios\n", c
        printf "| route | showcase | oxtor | axum | actix | showcase/actix | showcase/axum | oxtor/axum | oxtor/actix |\n"
        printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        n = split(rows["http1"], r, " ")
        for (i = 1; i <= n; i++) {
            printf "| `GET %s` |", r[i]
            split("showcase oxtor axum actix", who, " ")
            for (j = 1; j <= 4; j++) printf " %.0f (%.2f) |", mean(rps, "http1", r[i], who[j]), mean(cpu, "http1", r[i], who[j])
            printf " **%.3f** | **%.3f** | %.3f | %.3f |\n", paired("http1", r[i], "showcase", "actix"), paired("http1", r[i], "showcase", "axum"), paired("http1", r[i], "oxtor", "axum"), paired("http1", r[i], "oxtor", "actix")
        }
        printf "\nissue 15'"'"'s targets: the median of the paired ratios, their first and third quartile (the middle half of the rounds), and the lowest and highest round (a target a run cannot decide is one whose rounds fall on both sides of it)\n"
        printf "| target | goal | median | middle half | rounds | verdict |\n|---|---:|---:|---:|---:|---|\n"
        target("showcase ÷ actix-web, `GET /hello`", "http1", "/hello", "showcase", "actix", 1.00)
        target("showcase ÷ actix-web, `GET /books.json`", "http1", "/books.json", "showcase", "actix", 1.00)
        for (i = 1; i <= n; i++) target("showcase ÷ axum, `GET " r[i] "`", "http1", r[i], "showcase", "axum", 1.00)
        target("bare oxtor ÷ axum, `GET /hello`", "http1", "/hello", "oxtor", "axum", 1.05)
        printf "\nCPU us per request, mean over the rounds: user space (the server'"'"'s own code) + kernel (its system calls, the same ones on every side; their cost moves with the host from one few-second window to the next, alike for every side). The kernel'"'"'s share is sampled at the scheduler tick: read the split to a few percent\n"
        printf "| route | showcase | oxtor | axum | actix |\n|---|---:|---:|---:|---:|\n"
        for (i = 1; i <= n; i++) {
            printf "| `GET %s` |", r[i]
            for (j = 1; j <= 4; j++) printf " %s |", user_kernel(r[i], who[j])
            printf "\n"
        }
        if (floor && !full) {
            printf "\nthe floor: hyper alone (a hand-written service_fn on the connections oxtor uses) against actix-web, and each oxtor contestant against hyper alone; median of the paired ratios, their middle half (quartiles) and the lowest and highest round; CPU us per request as user space + kernel\n"
            printf "| route | ratio | median | middle half | rounds |\n|---|---|---:|---:|---:|\n"
            split("hyper actix showcase hyper oxtor hyper showcase-tpc hyper oxtor-tpc hyper showcase-tpc actix", pair, " ")
            for (i = 1; i <= n; i++) for (j = 1; j <= 11; j += 2)
                printf "| `GET %s` | %s ÷ %s | %s |\n", r[i], pair[j], pair[j + 1], spread("http1", r[i], pair[j], pair[j + 1])
            printf "\n| route | hyper | showcase-tpc | oxtor-tpc |\n|---|---:|---:|---:|\n"
            split("hyper showcase-tpc oxtor-tpc", more, " ")
            for (i = 1; i <= n; i++) {
                printf "| `GET %s` |", r[i]
                for (j = 1; j <= 3; j++) printf " %s |", user_kernel(r[i], more[j])
                printf "\n"
            }
        }
        if (!full) exit
        printf "\nwhere the time goes: the hyper floor, hyper + axum handlers without routing, hyper + axum Router, then the oxtor engine on top (bare oxtor)\n"
        printf "| route | hyper | hyper + handlers | hyper + Router | hyper/actix | (hyper + handlers)/actix | (hyper + Router)/actix | oxtor/(hyper + Router) |\n"
        printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for (i = 1; i <= n; i++) {
            printf "| `GET %s` | %.0f (%.2f) | %.0f (%.2f) | %.0f (%.2f) |", r[i], mean(rps, "http1", r[i], "hyper"), mean(cpu, "http1", r[i], "hyper"), mean(rps, "http1", r[i], "hyper-handler"), mean(cpu, "http1", r[i], "hyper-handler"), mean(rps, "http1", r[i], "hyper-router"), mean(cpu, "http1", r[i], "hyper-router")
            printf " %.3f | %.3f | %.3f | %.3f |\n", paired("http1", r[i], "hyper", "actix"), paired("http1", r[i], "hyper-handler", "actix"), paired("http1", r[i], "hyper-router", "actix"), paired("http1", r[i], "oxtor", "hyper-router")
        }
        printf "\nthread-per-core mode, one worker on the same CPU (a current-thread runtime)\n"
        printf "| route | showcase-tpc | oxtor-tpc | showcase-tpc/actix | showcase-tpc/axum | showcase-tpc/showcase | oxtor-tpc/axum | oxtor-tpc/oxtor |\n"
        printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for (i = 1; i <= n; i++) {
            printf "| `GET %s` | %.0f (%.2f) | %.0f (%.2f) |", r[i], mean(rps, "http1", r[i], "showcase-tpc"), mean(cpu, "http1", r[i], "showcase-tpc"), mean(rps, "http1", r[i], "oxtor-tpc"), mean(cpu, "http1", r[i], "oxtor-tpc")
            printf " **%.3f** | **%.3f** | %.3f | %.3f | %.3f |\n", paired("http1", r[i], "showcase-tpc", "actix"), paired("http1", r[i], "showcase-tpc", "axum"), paired("http1", r[i], "showcase-tpc", "showcase"), paired("http1", r[i], "oxtor-tpc", "axum"), paired("http1", r[i], "oxtor-tpc", "oxtor")
        }
        if (rows["multi"] != "") {
            printf "\nboth cores serving (2 workers each, wrk -t2 -c%d unpinned), GET /hello\n", c
            printf "| oxtor multi-thread | oxtor thread-per-core | axum | actix-web | tpc/axum | tpc/actix | tpc/oxtor multi-thread |\n|---:|---:|---:|---:|---:|---:|---:|\n"
            printf "| %.0f (%.2f) | %.0f (%.2f) | %.0f (%.2f) | %.0f (%.2f) |", mean(rps, "multi", "/hello", "oxtor-mt2"), mean(cpu, "multi", "/hello", "oxtor-mt2"), mean(rps, "multi", "/hello", "oxtor-tpc2"), mean(cpu, "multi", "/hello", "oxtor-tpc2"), mean(rps, "multi", "/hello", "axum-mt2"), mean(cpu, "multi", "/hello", "axum-mt2"), mean(rps, "multi", "/hello", "actix-2"), mean(cpu, "multi", "/hello", "actix-2")
            printf " **%.3f** | %.3f | %.3f |\n", paired("multi", "/hello", "oxtor-tpc2", "axum-mt2"), paired("multi", "/hello", "oxtor-tpc2", "actix-2"), paired("multi", "/hello", "oxtor-tpc2", "oxtor-mt2")
        }
        printf "\nzstd-3, wrk -t1 -c%d, Accept-Encoding: zstd\n", c
        printf "| route | showcase | axum + CompressionLayer | showcase/axum |\n|---|---:|---:|---:|\n"
        r1 = "/books.json(zstd)"
        printf "| `GET /books.json` zstd | %.0f (%.2f) | %.0f (%.2f) | **%.3f** |\n", mean(rps, "zstd", r1, "showcase"), mean(cpu, "zstd", r1, "showcase"), mean(rps, "zstd", r1, "axum-zstd"), mean(cpu, "zstd", r1, "axum-zstd"), paired("zstd", r1, "showcase", "axum-zstd")
        printf "\nh2c, h2load -c%d -m%d\n", h2c, h2m
        printf "| route | showcase | oxtor | axum | showcase/axum | oxtor/axum |\n|---|---:|---:|---:|---:|---:|\n"
        printf "| `GET /hello` | %.0f (%.2f) | %.0f (%.2f) | %.0f (%.2f) | **%.3f** | %.3f |\n", mean(rps, "h2c", "/hello", "showcase"), mean(cpu, "h2c", "/hello", "showcase"), mean(rps, "h2c", "/hello", "oxtor"), mean(cpu, "h2c", "/hello", "oxtor"), mean(rps, "h2c", "/hello", "axum"), mean(cpu, "h2c", "/hello", "axum"), paired("h2c", "/hello", "showcase", "axum"), paired("h2c", "/hello", "oxtor", "axum")
        printf "\nlatency at a fixed offered load: %d connections x 1 request per (answer + 1 ms), GET /hello; mean req/s, mean p50 / p99 ms\n", lc
        printf "| | showcase | oxtor | axum | actix |\n|---|---:|---:|---:|---:|\n"
        printf "| req/s |"; for (j = 1; j <= 4; j++) printf " %.0f |", mean(rps, "latency", "/hello", who[j]); printf "\n"
        printf "| p50 ms |"; for (j = 1; j <= 4; j++) printf " %.3f |", mean(p50, "latency", "/hello", who[j]); printf "\n"
        printf "| p99 ms |"; for (j = 1; j <= 4; j++) printf " %.3f |", mean(p99, "latency", "/hello", who[j]); printf "\n"
    }' "$work/results"
