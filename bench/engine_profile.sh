#!/usr/bin/env bash
# Where a request's CPU time goes on this machine's real CPU (issue 15): for the contestants of
# bench/engine.sh under wrk, a CPU-clock profile of the server (`perf record -e cpu-clock`, which
# needs no hardware counters, so it works in a VM) split per request into the kernel, libc's
# syscall wrappers, and the rest of user space, with the rest broken down by crate.
#
# Why: on a 2-core VM the kernel's TCP path is 70-80 % of every server's time per request, the
# same work for each (one recvfrom and one sendto per request), and it moves by a quarter from
# one profile to the next with the host's load. A requests/s ratio carries all of that noise;
# the user-space share, where the servers differ, moves far less. bench/engine_counts.sh counts
# instructions and simulated cache misses; this measures time, with the real caches and branch
# predictors.
#
#   bench/engine_profile.sh                       # builds what it needs (aligned, as engine.sh)
#   ROUTES=/hello CONTESTANTS="showcase actix" ROUNDS=3 bench/engine_profile.sh
#   BASELINE_BIN=/tmp/old/bench_oxtor CONTESTANTS="oxtor oxtor@base" bench/engine_profile.sh
#
# Contestants: as bench/engine_counts.sh (showcase, oxtor, axum, actix, hyper; showcase@base and
# oxtor@base run BASELINE_BIN; compression and lifecycle, one of the showcase's plugins alone, when
# named in CONTESTANTS). Each server is pinned to CPU SERVER_CPU (one worker), wrk
# (`-t1 -cCONNECTIONS`) to CLIENT_CPU. After 1 s of warm-up, the server is profiled for DURATION
# seconds at FREQ samples a second while wrk runs; the requests in that window are wrk's
# requests/s times DURATION. Contestants alternate within each of ROUNDS rounds; the table shows
# each figure's median over the rounds, and the user-space time as a ratio to actix-web's.
# "syscall wrappers" are samples in libc's send/recv/writev/epoll_wait entry points: mostly the kernel's
# time attributed to the instruction after the syscall (the profile's skid), so they are left out
# of "user space".
#
# Environment: ROUTES ("/hello /books.json /user/42"), CONTESTANTS ("showcase oxtor axum actix
#              hyper", plus the two baselines with BASELINE_BIN), ROUNDS (2), DURATION (5, s),
#              FREQ (20000), CONNECTIONS (64), SERVER_CPU (1), CLIENT_CPU (0), BASE_PORT (18800),
#              TOP (8: crates listed per contestant), ALIGN (1), BASELINE_BIN (none).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_tools perf:linux-perf wrk:wrk python3:python3

ROUTES=${ROUTES:-/hello /books.json /user/42}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-5}
FREQ=${FREQ:-20000}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
TOP=${TOP:-8}
port=${BASE_PORT:-18800}
engine_contestants

echo "== building the contestants"
build_aligned --bin bench_oxtor --bin bench_axum --bin bench_actix --bin bench_hyper
bench_workdir

# profile NAME ROUTE ROUND: profiles one server under load; writes $work/NAME.ROUND.ROUTE.txt
# (the split per request) from its perf data. (Not run in a command substitution: the next
# port and the server's pid must reach this shell.)
profile() {
    local cmd sp wp rps data out
    port=$((port + 1))
    cmd=$(contestant_command "$1" "$port")
    data="$work/perf.$1.$3.${port}"
    out="$work/$1.$3.${2//\//_}.txt"
    # shellcheck disable=SC2086 # cmd is a command line
    taskset -c "$SERVER_CPU" $cmd >/dev/null 2>&1 &
    sp=$!
    pids+=("$sp")
    wait_port "$port"
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d1s "http://127.0.0.1:$port$2" >/dev/null
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"$((DURATION + 2))s" \
        "http://127.0.0.1:$port$2" >"$work/wrk.out" &
    wp=$!
    sleep 0.5
    perf record -q -e cpu-clock -F "$FREQ" -o "$data" -p "$sp" -- sleep "$DURATION" >/dev/null 2>&1
    wait "$wp"
    kill -INT "$sp" 2>/dev/null || true
    wait "$sp" 2>/dev/null || true
    rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.out")
    perf report -i "$data" --sort dso,sym -F sample,dso,sym --stdio 2>/dev/null |
        python3 "$work/split.py" "$rps" "$DURATION" "$FREQ" >"$out"
}

# The split of one profile per request, from `perf report`'s lines (samples, dso, symbol).
cat >"$work/split.py" <<'EOF'
import collections, re, sys
rps, duration, freq = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
wrappers = ("__send", "__libc_send", "__recv", "__libc_recv", "writev", "__writev",
            "__GI___writev", "readv", "__readv", "epoll_wait", "__GI_epoll_wait",
            "__GI___pthread_disable_asynccancel", "__GI___pthread_enable_asynccancel")
groups = collections.Counter()
for line in sys.stdin:
    m = re.match(r"\s*(\d+)\s+(\S+)\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    n, dso, kind, sym = int(m.group(1)), m.group(2), m.group(3), m.group(4).strip()
    if kind == "k":
        groups["kernel"] += n
    elif "libc" in dso and sym in wrappers:
        groups["syscall wrappers"] += n
    elif "libc" in dso:
        groups["libc (malloc, memcpy, ...)"] += n
    else:
        # `path::f` or `<path::T as ..>::f`: the path's crate; `<T as path::Trait>::f` (a
        # generic impl): the trait's.
        crate = re.match(r"<?&?(?:mut )?(\w+)::", sym) or re.match(r"<\w+ as &?(?:mut )?(\w+)::", sym)
        groups[crate.group(1) if crate else "other"] += n
per_request = 1e9 / (freq * rps * duration)  # ns per sample per request
total = sum(groups.values())
print(f"total\t{total * per_request:.0f}")
for name, n in groups.most_common():
    print(f"{name}\t{n * per_request:.0f}")
EOF

for route in $ROUTES; do
    for round in $(seq "$ROUNDS"); do
        # Alternate the order from one round to the next.
        # shellcheck disable=SC2086 # a list of names
        set -- $CONTESTANTS
        for _ in $(seq $(((round - 1) % $#))); do set -- "${@:2}" "$1"; done
        for name in "$@"; do profile "$name" "$route" "$round"; done
    done
done

echo "== per request, ns (median of $ROUNDS rounds of ${DURATION} s, wrk -t1 -c$CONNECTIONS, server on CPU $SERVER_CPU)"
python3 - "$work" "$ROUNDS" "$TOP" "$ROUTES" $CONTESTANTS <<'EOF'
import statistics, sys
work, rounds, top, routes, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split(), sys.argv[5:]
def read(name, rnd, route):
    """The split of one profile: a "group<TAB>ns" line per group, and "total"."""
    with open(f"{work}/{name}.{rnd}.{route.replace('/', '_')}.txt") as f:
        return {key: float(value) for key, _, value in (line.rstrip("\n").partition("\t") for line in f)}
print(f"{'route':<12} {'server':<14} {'total':>7} {'kernel':>7} {'syscall':>8} {'user':>7} {'(rounds)':>13} {'user/ax':>8}  user space by crate")
for route in routes:
    rows = {}
    for name in names:
        runs = [read(name, r, route) for r in range(1, rounds + 1)]
        med = lambda k: statistics.median(run.get(k, 0.0) for run in runs)
        users = [run["total"] - run.get("kernel", 0) - run.get("syscall wrappers", 0) for run in runs]
        user = statistics.median(users)
        crates = sorted({k for run in runs for k in run} - {"total", "kernel", "syscall wrappers"}, key=lambda k: -med(k))
        spread = f"{min(users):.0f}-{max(users):.0f}"
        rows[name] = {"total": med("total"), "kernel": med("kernel"), "wrappers": med("syscall wrappers"),
                      "user": user, "spread": spread, "crates": [(k, med(k)) for k in crates[:top]]}
    for name in names:
        row = rows[name]
        ratio = f"{row['user'] / rows['actix']['user']:.3f}" if "actix" in rows else "-"
        listed = ", ".join(f"{k} {v:.0f}" for k, v in row["crates"])
        print(f"{route:<12} {name:<14} {row['total']:7.0f} {row['kernel']:7.0f} {row['wrappers']:8.0f} "
              f"{row['user']:7.0f} {row['spread']:>13} {ratio:>8}  {listed}")
EOF
