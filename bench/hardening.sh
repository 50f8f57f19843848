#!/usr/bin/env bash
# Hardening figures (issue 12): what the engine's bounds cost, and that they hold under abuse.
#
#   bench/hardening.sh             # from anywhere; builds what it needs (release)
#
# Servers (release builds, pinned to CPU $SERVER_CPU; load generators on CPU $LOAD_CPU):
#   bench_hardening PORT bounded    oxtor with its defaults (header-read 30 s, idle 60 s, ...)
#   bench_hardening PORT unbounded  the same with the timeouts off (the engine before issue 12)
#   bench_axum PORT                 hand-written axum on `axum::serve` (idle-memory baseline)
# Sections:
#   1. cost     /hello with wrk -t1 -c64, bounded vs unbounded in ROUNDS alternating rounds of
#               DURATION; median of the paired ratios (target >= 0.99) and CPU time per request.
#   2. slowloris SLOW_CONNS connections each sending one header byte every 5 s (bench_peers)
#               against one bounded server while wrk alternates between it and an identical twin
#               server: median paired ratio attacked/twin (target >= 0.95), and when the server
#               closed them (after the 30 s header-read timeout).
#   3. sustained wrk -c1000 -d$LONG on /hello and on /books.json with zstd, then h2load -c100
#               -m100 for $LONG: socket errors and timeouts (target 0), RSS before and after
#               (target within 10 %; "before" is after a warm-up with the same load).
#   4. idle     IDLE_CONNS idle keep-alive connections (each served one request first): RSS per
#               connection, oxtor vs axum::serve (target oxtor/axum <= 1.0).
# Environment: ROUNDS (5), DURATION (10s), LONG (30s), SLOW_CONNS (200), IDLE_CONNS (10000),
#              NICE (-20 as root), SERVER_CPU (1), LOAD_CPU (0), SECTIONS ("cost slowloris
#              sustained idle").
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
LONG=${LONG:-30s}
SLOW_CONNS=${SLOW_CONNS:-200}
IDLE_CONNS=${IDLE_CONNS:-10000}
SERVER_CPU=${SERVER_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
SECTIONS=${SECTIONS:-cost slowloris sustained idle}
if [ "$(id -u)" -eq 0 ]; then NICE=${NICE:--20}; else NICE=0; fi
BOUNDED=18091
UNBOUNDED=18092
AXUM=18093
TWIN=18094

cd "$(dirname "$0")/.."
root=$(pwd)
# 10,000 connections on each side, and the engine's duplicate descriptor per connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
source bench/lib.sh
need_tools wrk:wrk h2load:nghttp2-client taskset:util-linux curl:curl

echo "== building release binaries"
cargo build --release --quiet -p oxtor-bench --bin bench_hardening --bin bench_peers --bin bench_axum
bin="$root/target/release"

bench_workdir
declare -A pid_of

up() { curl -sf -o /dev/null "http://127.0.0.1:$1/hello"; }

start() {
    local name=$1 port=$2; shift 2
    nice -n "$NICE" taskset -c "$SERVER_CPU" "$@" >"$work/$name.log" 2>&1 &
    pids+=("$!")
    pid_of[$name]=$!
    for _ in $(seq 100); do up "$port" && return 0; sleep 0.1; done
    echo "error: $name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}

start bounded "$BOUNDED" "$bin/bench_hardening" "$BOUNDED" bounded
start unbounded "$UNBOUNDED" "$bin/bench_hardening" "$UNBOUNDED" unbounded
start axum "$AXUM" "$bin/bench_axum" "$AXUM"
start twin "$TWIN" "$bin/bench_hardening" "$TWIN" bounded

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
load() { nice -n "$NICE" taskset -c "$LOAD_CPU" "$@"; }

# wrk_run NAME PORT PATH DURATION CONNS [wrk args] -> prints "rps cpu_us_per_req errors timeouts"
wrk_run() {
    local name=$1 port=$2 path=$3 duration=$4 conns=$5; shift 5
    local t0 t1 out
    t0=$(cpu_ticks "${pid_of[$name]}")
    out=$(load wrk -t1 -c"$conns" -d"$duration" "$@" "http://127.0.0.1:$port$path")
    t1=$(cpu_ticks "${pid_of[$name]}")
    if grep -q "Non-2xx" <<<"$out"; then echo "error: $name $path: non-2xx answers" >&2; echo "$out" >&2; exit 1; fi
    awk -v d=$((t1 - t0)) -v hz="$hz" '
        /^Requests\/sec:/ { rps = $2 }
        / requests in / { n = $1 }
        /Socket errors:/ { gsub(",", ""); err = $4 + $6 + $8; to = $10 }
        END { printf "%s %.3f %d %d\n", rps, d / hz * 1e6 / n, err, to }' <<<"$out"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

section() { [[ " $SECTIONS " == *" $1 "* ]]; }

if section cost; then
    echo "== 1. cost of the bounds: /hello, bounded vs unbounded, $ROUNDS rounds of $DURATION, 64 connections"
    for port in "$BOUNDED" "$UNBOUNDED"; do load wrk -t1 -c64 -d3s "http://127.0.0.1:$port/hello" >/dev/null; done
    ratios="" cpu_ratios=""
    for round in $(seq "$ROUNDS"); do
        if [ $((round % 2)) -eq 1 ]; then order="bounded unbounded"; else order="unbounded bounded"; fi
        for name in $order; do
            port=$BOUNDED; [ "$name" = unbounded ] && port=$UNBOUNDED
            read -r rps cpu _ _ < <(wrk_run "$name" "$port" /hello "$DURATION" 64)
            declare "rps_$name=$rps" "cpu_$name=$cpu"
            printf '   round %d %-9s %10s req/s %7s us CPU/req\n' "$round" "$name" "$rps" "$cpu"
        done
        ratios+=" $(awk -v a="$rps_bounded" -v b="$rps_unbounded" 'BEGIN { printf "%.4f", a / b }')"
        cpu_ratios+=" $(awk -v a="$cpu_unbounded" -v b="$cpu_bounded" 'BEGIN { printf "%.4f", a / b }')"
    done
    echo "   paired ratios bounded/unbounded:$ratios"
    echo "   median paired ratio (req/s): $(median <<<"$ratios") (target >= 0.99)"
    echo "   median CPU/req ratio unbounded/bounded: $(median <<<"$cpu_ratios") (>= 0.99: bounds cost <= 1 %)"
fi

if section slowloris; then
    echo "== 2. slowloris: $SLOW_CONNS connections, one header byte every 5 s, against bounded oxtor"
    echo "   (side by side: wrk alternates 5 s runs between the attacked server and an identical one)"
    read -r a _ _ _ < <(wrk_run bounded "$BOUNDED" /hello 5s 64)
    read -r b _ _ _ < <(wrk_run twin "$TWIN" /hello 5s 64)
    echo "   before: attacked-to-be $a req/s, twin $b req/s"
    load "$bin/bench_peers" slowloris "$BOUNDED" "$SLOW_CONNS" 5 >"$work/slowloris.out" &
    slow_pid=$!
    sleep 1
    ratios=""
    for round in 1 2 3; do
        read -r a _ _ _ < <(wrk_run bounded "$BOUNDED" /hello 4s 64)
        read -r b _ _ _ < <(wrk_run twin "$TWIN" /hello 4s 64)
        ratios+=" $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f", a / b }')"
        echo "   under slowloris, round $round: attacked $a req/s, twin $b req/s"
    done
    open=$(ls "/proc/${pid_of[bounded]}/fd" | wc -l)
    wait "$slow_pid"
    echo "   paired ratios attacked/twin:$ratios; median $(median <<<"$ratios") (target >= 0.95)"
    echo "   slowloris connections: $(cat "$work/slowloris.out") (header-read timeout 30 s); server descriptors while held: $open"
fi

if section sustained; then
    echo "== 3. sustained load on bounded oxtor ($LONG each)"
    pid=${pid_of[bounded]}
    load wrk -t1 -c1000 -d5s "http://127.0.0.1:$BOUNDED/hello" >/dev/null
    load wrk -t1 -c1000 -d5s -H 'Accept-Encoding: zstd' "http://127.0.0.1:$BOUNDED/books.json" >/dev/null
    load h2load -c100 -m100 -D 5 "http://127.0.0.1:$BOUNDED/hello" >/dev/null
    sleep 2
    before=$(rss_kib "$pid")
    read -r rps _ err to < <(wrk_run bounded "$BOUNDED" /hello "$LONG" 1000)
    echo "   wrk -c1000 /hello: $rps req/s, socket errors $err, timeouts $to"
    read -r rps _ err to < <(wrk_run bounded "$BOUNDED" /books.json "$LONG" 1000 -H 'Accept-Encoding: zstd')
    echo "   wrk -c1000 /books.json (zstd): $rps req/s, socket errors $err, timeouts $to"
    out=$(load h2load -c100 -m100 -D "${LONG%s}" "http://127.0.0.1:$BOUNDED/hello")
    echo "   h2load -c100 -m100 /hello: $(grep -E '^finished in' <<<"$out" | sed 's/^ *//'); $(grep -E '^requests:' <<<"$out" | sed 's/^ *//')"
    sleep 2
    after=$(rss_kib "$pid")
    echo "   RSS before $before KiB, after $after KiB: $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%+.1f %%", (a - b) * 100 / b }') (target within 10 %)"
fi

if section idle; then
    echo "== 4. memory per idle keep-alive connection: $IDLE_CONNS connections"
    for name in bounded axum; do
        port=$BOUNDED; [ "$name" = axum ] && port=$AXUM
        pid=${pid_of[$name]}
        load wrk -t1 -c64 -d2s "http://127.0.0.1:$port/hello" >/dev/null
        sleep 1
        before=$(rss_kib "$pid")
        # The peers hold their connections 10 s after READY (well within the 60 s idle timeout).
        load "$bin/bench_peers" idle "$port" "$IDLE_CONNS" 10 >"$work/idle.out" &
        peers=$!
        for _ in $(seq 600); do grep -q READY "$work/idle.out" 2>/dev/null && break; sleep 0.1; done
        sleep 2
        held=$(rss_kib "$pid")
        wait "$peers"
        per=$(awk -v a="$held" -v b="$before" -v n="$IDLE_CONNS" 'BEGIN { printf "%.2f", (a - b) / n }')
        declare "per_$name=$per"
        echo "   $name: RSS $before KiB -> $held KiB with $(cat "$work/idle.out"): $per KiB per connection"
        sleep 2
    done
    echo "   ratio oxtor/axum per connection: $(awk -v a="$per_bounded" -v b="$per_axum" 'BEGIN { printf "%.2f", a / b }') (target <= 1.0)"
fi
