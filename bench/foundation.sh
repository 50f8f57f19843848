#!/usr/bin/env bash
# Foundation load test: oxtor (routes + engine) against hand-written axum 0.8 on `axum::serve`.
#
#   bench/foundation.sh            # from anywhere; builds what it needs, installs wrk if missing
#
# Handlers (identical bodies on both sides, see bench/src/bin/bench_oxtor.rs and bench_axum.rs):
#   GET /hello      plaintext "Hello, world!"
#   GET /json       a small serde struct as JSON
#   GET /user/{id}  one path parameter -> "Hello, {id}"
#
# Method: both servers are release builds started side by side, each pinned to CPU 1 with
# `taskset -c 1` (so each runs its tokio runtime with one worker); wrk is pinned to CPU 0 with
# `taskset -c 0` and runs one thread with 64 connections (keep-alive), --latency. Every handler
# is measured in ROUNDS alternating rounds of DURATION per server (the order flips each round),
# after a short warm-up. Only one server is under load at a time; the idle one waits in epoll.
# The table gives, per handler, the mean requests/s and mean p99 latency over the rounds, the
# ratio oxtor/axum of the mean requests/s, and the median over rounds of the paired ratio (oxtor's
# run divided by axum's adjacent run of the same round): the paired median is the figure to read
# on a machine with background load, since both runs of a pair see about the same load.
# It also gives each server's CPU time per request (user+system time of the server process over
# the run, from /proc/PID/stat, divided by the requests wrk completed) and the ratio
# axum/oxtor of those (>= 1 means oxtor spends no more CPU per request): CPU time is not counted
# while the server waits for the CPU, so this figure is the least disturbed by other load.
# When run as root, servers and wrk run at `nice -n $NICE` (default -20) so that other processes
# on the machine disturb the measurement less; NICE=0 turns that off.
#
# Environment: ROUNDS (3), DURATION (10s), CONNECTIONS (64), WARMUP (2s), NICE (-20 as root),
#              OXTOR_PORT (18081), AXUM_PORT (18082), SERVER_CPU (1), WRK_CPU (0).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
WARMUP=${WARMUP:-2s}
OXTOR_PORT=${OXTOR_PORT:-18081}
AXUM_PORT=${AXUM_PORT:-18082}
SERVER_CPU=${SERVER_CPU:-1}
WRK_CPU=${WRK_CPU:-0}
if [ "$(id -u)" -eq 0 ]; then NICE=${NICE:--20}; else NICE=0; fi
HANDLERS=(/hello /json /user/42)

cd "$(dirname "$0")/.."
root=$(pwd)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v wrk >/dev/null 2>&1; then
    echo "== installing wrk"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v taskset >/dev/null 2>&1 || as_root apt-get install -y -qq util-linux >/dev/null
if [ "$(nproc)" -lt 2 ]; then
    echo "warning: fewer than 2 CPUs; wrk and the server share one" >&2
fi

echo "== building release servers"
cargo build --release --quiet -p oxtor-bench --bin bench_oxtor --bin bench_axum
bin="$root/target/release"

work=$(mktemp -d)
pids=()
declare -A pid_of
cleanup() {
    for pid in "${pids[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# GET over bash's /dev/tcp; prints the whole response.
http_get() {
    local port=$1 path=$2
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
    cat <&3
    exec 3<&-
}

start() {
    local name=$1 port=$2
    nice -n "$NICE" taskset -c "$SERVER_CPU" "$bin/bench_$name" "$port" >"$work/$name.log" 2>&1 &
    pids+=("$!")
    pid_of[$name]=$!
    for _ in $(seq 100); do
        if http_get "$port" /hello >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "error: $name did not start on port $port" >&2
    cat "$work/$name.log" >&2
    exit 1
}

start oxtor "$OXTOR_PORT"
start axum "$AXUM_PORT"

echo "== checking both servers answer the same"
for path in "${HANDLERS[@]}"; do
    a=$(http_get "$OXTOR_PORT" "$path" | sed -n '$p')
    b=$(http_get "$AXUM_PORT" "$path" | sed -n '$p')
    if [ "$a" != "$b" ] || [ -z "$a" ]; then
        echo "error: $path differs: oxtor '$a', axum '$b'" >&2
        exit 1
    fi
    echo "   $path -> $a"
done

# wrk's latency (e.g. 812.00us, 1.20ms, 1.01s) in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000;
        printf "%.3f", n }'
}

# user+system CPU ticks of a process (all its threads).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run ROUND NAME PORT PATH DURATION -> appends "round name path rps p99ms cpu_us_per_req" to
# $work/results
run() {
    local round=$1 name=$2 port=$3 path=$4 duration=$5 out t0 t1
    t0=$(cpu_ticks "${pid_of[$name]}")
    out=$(nice -n "$NICE" taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"$duration" --latency \
        "http://127.0.0.1:$port$path")
    t1=$(cpu_ticks "${pid_of[$name]}")
    # Wrong answers or broken connections void the run; wrk's 2 s timeouts only warn (they
    # happen when something else on the machine takes the CPU, and show in p99 anyway).
    local socket_errors
    socket_errors=$(awk -F'[ ,]+' '/Socket errors:/ { print $5 + $7 + $9 }' <<<"$out")
    if grep -q "Non-2xx" <<<"$out" || [ "${socket_errors:-0}" -gt 0 ]; then
        echo "error: $name $path: errors during the run" >&2
        echo "$out" >&2
        exit 1
    fi
    if grep -q "Socket errors" <<<"$out"; then
        echo "   warning: $(grep "Socket errors" <<<"$out" | sed 's/^ *//')" >&2
    fi
    local rps p99 requests cpu
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    requests=$(awk '/ requests in / { print $1 }' <<<"$out")
    cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.3f", d / hz * 1e6 / n }')
    echo "$round $name $path $rps $p99 $cpu" >>"$work/results"
    printf '   %-6s %-9s %12s req/s   p99 %8s ms   %7s us CPU/req\n' "$name" "$path" "$rps" "$p99" "$cpu"
}

echo "== warm-up ($WARMUP per server and handler)"
for path in "${HANDLERS[@]}"; do
    for port in "$OXTOR_PORT" "$AXUM_PORT"; do
        nice -n "$NICE" taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" \
            "http://127.0.0.1:$port$path" >/dev/null
    done
done
: >"$work/results"

for round in $(seq "$ROUNDS"); do
    echo "== round $round/$ROUNDS ($DURATION each, $CONNECTIONS connections)"
    for path in "${HANDLERS[@]}"; do
        if [ $((round % 2)) -eq 1 ]; then
            run "$round" oxtor "$OXTOR_PORT" "$path" "$DURATION"
            run "$round" axum "$AXUM_PORT" "$path" "$DURATION"
        else
            run "$round" axum "$AXUM_PORT" "$path" "$DURATION"
            run "$round" oxtor "$OXTOR_PORT" "$path" "$DURATION"
        fi
    done
done

echo
echo "== results (servers on CPU $SERVER_CPU, wrk on CPU $WRK_CPU, nice $NICE, $ROUNDS rounds of $DURATION)"
awk '
    function median(list,    m, v, i, j, t) {
        m = split(list, v, " ")
        for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    {
        key = $2 " " $3; n[key]++; rps[key] += $4; p99[key] += $5; cpu[key] += $6; run[$1 " " key] = $4
        if (!seen[$3]++) order[++k] = $3
        if ($1 > rounds) rounds = $1
    }
    END {
        printf "| handler | oxtor req/s | axum req/s | ratio of means | median paired ratio | oxtor p99 ms | axum p99 ms | oxtor CPU us/req | axum CPU us/req | CPU ratio axum/oxtor |\n"
        printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        worst = 1e9
        for (i = 1; i <= k; i++) {
            h = order[i]; o = "oxtor " h; a = "axum " h; pairs = ""
            for (r = 1; r <= rounds; r++) pairs = pairs " " run[r " " o] / run[r " " a]
            pm = median(pairs); if (pm < worst) worst = pm
            co = cpu[o] / n[o]; ca = cpu[a] / n[a]
            printf "| `%s` | %.0f | %.0f | %.3f | %.3f | %.2f | %.2f | %.2f | %.2f | %.3f |\n", h, rps[o] / n[o], rps[a] / n[a], (rps[o] / n[o]) / (rps[a] / n[a]), pm, p99[o] / n[o], p99[a] / n[a], co, ca, ca / co
        }
        printf "\nlowest median paired ratio: %.3f (target >= 0.98)\n", worst
    }' "$work/results"
