#!/usr/bin/env bash
# TLS load test: oxtor's HTTPS connector against a hand-written tokio-rustls + hyper-util server
# (bench/src/bin/bench_tls_baseline.rs) serving the same axum router, the same certificate (the PEM
# key store of scripts/dev-certs: EC P-256) and the same rustls settings (ring, TLS 1.2 + 1.3,
# ALPN h2 + http/1.1). Both install the showcase's tracing subscriber (bench/src/lib.rs).
#
#   bench/tls.sh                   # from anywhere; builds what it needs, installs wrk/h2load if missing
#
# Three measurements of GET /hello, each in ROUNDS alternating rounds of DURATION per server (the
# order flips each round), after a warm-up:
#   handshakes   wrk, `Connection: close`: every request is a new TCP connection and a full TLS
#                handshake (TLS 1.3), so requests/s = handshakes/s
#   https/1.1    wrk over kept-alive TLS connections (HTTP/1.1)
#   h2           h2load over kept-alive TLS connections, ALPN h2, 10 streams per connection
# Servers are release builds pinned to CPU SERVER_CPU, the load generator to CPU CLIENT_CPU
# (`taskset`). The table gives the mean per server and the median over rounds of the paired
# ratio oxtor/baseline (each oxtor run divided by the baseline run of the same round), and each
# server's CPU time per request (user+system time of the server process over the run, from
# /proc/PID/stat, divided by the requests completed) with the ratio baseline/oxtor (>= 1 means
# oxtor spends no more CPU per request or handshake). On a loaded machine, or when the load
# generator is the bottleneck (full TLS handshakes cost the client as much as the server), the
# CPU ratio is the figure to read: CPU time is not counted while a process waits for the CPU.
#
# Environment: ROUNDS (3), DURATION (10 s, seconds), CONNECTIONS (64), OXTOR_PORT (18443),
#              BASE_PORT (18444), SERVER_CPU (1), CLIENT_CPU (0), WORKERS (unset: oxtor on its
#              default multi-thread runtime; N: oxtor in its thread-per-core mode with N
#              workers, `WORKERS=1` being one current-thread worker on SERVER_CPU).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
OXTOR_PORT=${OXTOR_PORT:-18443}
BASE_PORT=${BASE_PORT:-18444}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

cd "$(dirname "$0")/.."
root=$(pwd)

source bench/lib.sh
need_tools wrk:wrk h2load:nghttp2-client curl:curl openssl:openssl taskset:util-linux

echo "== building release servers"
cargo build --release --quiet -p oxtor-bench --bin bench_tls_oxtor --bin bench_tls_baseline
bin="$root/target/release"

bench_workdir

scripts/dev-certs "$work/certs" >/dev/null
key_store="$work/certs/server.pem"

declare -A pid_of
start() {
    local name=$1 port=$2
    local workers=()
    if [ "$name" = oxtor ] && [ -n "${WORKERS:-}" ]; then workers=("$WORKERS"); fi
    taskset -c "$SERVER_CPU" "$bin/bench_tls_$name" "$port" "$key_store" "${workers[@]}" >"$work/$name.log" 2>&1 &
    pids+=("$!")
    pid_of[$name]=$!
    for _ in $(seq 100); do
        if curl -sf --cacert "$work/certs/ca.pem" "https://127.0.0.1:$port/hello" >/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "error: $name did not start on port $port" >&2
    cat "$work/$name.log" >&2
    exit 1
}
start oxtor "$OXTOR_PORT"
start baseline "$BASE_PORT"

echo "== checking both servers answer the same over h2"
for port in "$OXTOR_PORT" "$BASE_PORT"; do
    out=$(curl -sS --http2 --cacert "$work/certs/ca.pem" -w ' %{http_version}' "https://127.0.0.1:$port/hello")
    echo "   :$port -> $out"
    [ "$out" = "Hello, world! 2" ] || { echo "error: unexpected answer" >&2; exit 1; }
done

# user+system CPU ticks of a process (all its threads).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# measure KIND PORT SECONDS -> "requests/s completed-requests" on stdout
measure() {
    local kind=$1 port=$2 secs=$3 url="https://127.0.0.1:$2/hello" out
    case $kind in
        handshakes)
            out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${secs}s" -H 'Connection: close' "$url")
            awk '/^Requests\/sec:/ { r = $2 } / requests in / { n = $1 } END { print r, n }' <<<"$out" ;;
        https1)
            out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${secs}s" "$url")
            if grep -q "Non-2xx" <<<"$out"; then echo "error: non-2xx answers" >&2; exit 1; fi
            awk '/^Requests\/sec:/ { r = $2 } / requests in / { n = $1 } END { print r, n }' <<<"$out" ;;
        h2)
            out=$(taskset -c "$CLIENT_CPU" h2load -t1 -c16 -m10 -D"$secs" "$url")
            if ! grep -q ' 0 failed, 0 errored' <<<"$out"; then
                echo "error: h2load failures" >&2; echo "$out" >&2; exit 1
            fi
            awk '/^finished in/ { r = $4 } /^requests:/ { n = $8 } END { print r, n }' <<<"$out" ;;
    esac
}

KINDS=(handshakes https1 h2)
echo "== warm-up"
for kind in "${KINDS[@]}"; do
    measure "$kind" "$OXTOR_PORT" 1 >/dev/null
    measure "$kind" "$BASE_PORT" 1 >/dev/null
done

: >"$work/results"
for round in $(seq "$ROUNDS"); do
    echo "== round $round/$ROUNDS (${DURATION}s each)"
    for kind in "${KINDS[@]}"; do
        if [ $((round % 2)) -eq 1 ]; then order=(oxtor baseline); else order=(baseline oxtor); fi
        for name in "${order[@]}"; do
            if [ "$name" = oxtor ]; then port=$OXTOR_PORT; else port=$BASE_PORT; fi
            t0=$(cpu_ticks "${pid_of[$name]}")
            read -r rps requests < <(measure "$kind" "$port" "$DURATION")
            if [ -z "${rps:-}" ] || [ "${requests:-0}" = 0 ]; then
                # (a ratio or CPU figure over no request would print `inf`)
                echo "error: $name $kind: no request completed in ${DURATION}s" >&2
                exit 1
            fi
            t1=$(cpu_ticks "${pid_of[$name]}")
            cpu=$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.2f", d / hz * 1e6 / n }')
            echo "$round $name $kind $rps $cpu" >>"$work/results"
            printf '   %-9s %-11s %12s req/s %9s us CPU/req\n' "$name" "$kind" "$rps" "$cpu"
        done
    done
done

echo
echo "== results (servers on CPU $SERVER_CPU, load on CPU $CLIENT_CPU, $ROUNDS rounds of ${DURATION}s)"
awk '
    function median(list,    m, v, i, j, t) {
        m = split(list, v, " ")
        for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    {
        key = $2 " " $3; n[key]++; rps[key] += $4; cpu[key] += $5; run[$1 " " key] = $4
        if (!seen[$3]++) order[++k] = $3
        if ($1 > rounds) rounds = $1
    }
    END {
        printf "| measurement | oxtor req/s | baseline req/s | ratio of means | median paired ratio | oxtor CPU us/req | baseline CPU us/req | CPU ratio baseline/oxtor |\n"
        printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
        for (i = 1; i <= k; i++) {
            h = order[i]; o = "oxtor " h; b = "baseline " h; pairs = ""
            for (r = 1; r <= rounds; r++) pairs = pairs " " run[r " " o] / run[r " " b]
            co = cpu[o] / n[o]; cb = cpu[b] / n[b]
            printf "| %s | %.0f | %.0f | %.3f | %.3f | %.2f | %.2f | %.3f |\n", h, rps[o] / n[o], rps[b] / n[b], (rps[o] / n[o]) / (rps[b] / n[b]), median(pairs), co, cb, cb / co
        }
        printf "\ntarget: >= 0.98 on each (paired ratio on a quiet machine, CPU ratio on a loaded one)\n"
    }' "$work/results"
