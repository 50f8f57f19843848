# Shared by the bench/*.sh scripts (sourced, from the repository root): installing the load
# tools, and a scratch directory whose servers are stopped on exit.
#
#   need_tools wrk:wrk h2load:nghttp2-client   # command:package pairs, installed when missing
#   bench_workdir                              # sets $work; servers pushed onto pids=() are
#                                              # stopped (SIGINT, then SIGKILL after 5 s) at exit
#   build_aligned --bin a --bin b              # release build of oxtor-bench binaries with every
#                                              # function aligned to 64 bytes; sets $bin
#   s0=$(host_steal); ...; steal_percent "$s0" "$(host_steal)"   # share of CPU time the host
#                                              # (hypervisor) took from this VM meanwhile, in %
#   wait_port 18400                            # waits up to 60 s for a listener on 127.0.0.1
#   engine_contestants                         # checks BASELINE_BIN, sets CONTESTANTS' default
#   contestant_command NAME PORT               # a contestant's server command line (after
#                                              # build_aligned), as bench/engine_counts.sh names them

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_tools() {
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "== installing ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

bench_cleanup() {
    for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}

# "steal total": the CPU time stolen from this machine by its host (a hypervisor running other
# guests) and all CPU time so far, in jiffies of every CPU, from /proc/stat.
host_steal() {
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t; exit }' /proc/stat
}

# steal_percent "S0 T0" "S1 T1": the stolen share of the CPU time between two host_steal
# readings, in % (one decimal). Throughput moves with it: a run with stolen time measures the
# host's other guests as well as the contestants.
steal_percent() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        split(a, x, " "); split(b, y, " "); t = y[2] - x[2]
        printf "%.1f", (t > 0 ? (y[1] - x[1]) * 100 / t : 0) }'
}

wait_port() {
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server on port $1 did not start" >&2
    return 1
}

bench_workdir() {
    work=$(mktemp -d)
    pids=()
    trap bench_cleanup EXIT
}

# Builds oxtor-bench binaries (the arguments go to `cargo build`) in release, with every function
# aligned to 64 bytes (`-C llvm-args=-align-all-functions=6`, LLVM's default is 16), into
# target/bench-aligned; sets $bin to their directory. ALIGN=0 builds with the defaults into
# target/release instead.
#
# Why: code shared by every contestant (serde_json's `serialize_str` for `/books.json`, compiled
# once in the oxtor-bench library, the same bytes in each binary) lands at a different offset in
# each binary, and its hot loop runs at a speed that depends on that offset. Measured with perf
# (cpu-clock samples under wrk, `/books.json`), the very same machine code took 3.03 us per
# request in bench_oxtor, 2.93 in bench_axum and 2.38 in bench_actix, a difference of 5 % of the
# request that moved with unrelated changes; built aligned, it took 2.33, 2.34 and 2.44. Every
# contestant is built the same way, so no side gets the alignment the others lack.
build_aligned() {
    local target flags=${RUSTFLAGS:-}
    target=$(pwd)/target
    if [ "${ALIGN:-1}" != 0 ]; then
        target=$target/bench-aligned
        flags="$flags -C llvm-args=-align-all-functions=6"
    fi
    CARGO_TARGET_DIR=$target RUSTFLAGS=$flags cargo build --release --quiet -p oxtor-bench "$@"
    bin=$target/release
}

# The contestants of bench/engine_counts.sh and bench/engine_profile.sh: checks that
# BASELINE_BIN (optional) is an executable file, and sets CONTESTANTS' default (with the two
# baselines when BASELINE_BIN is set).
engine_contestants() {
    BASELINE_BIN=${BASELINE_BIN:-}
    if [ -n "$BASELINE_BIN" ] && [ ! -x "$BASELINE_BIN" ]; then
        echo "BASELINE_BIN=$BASELINE_BIN is not an executable file" >&2
        exit 1
    fi
    CONTESTANTS=${CONTESTANTS:-showcase oxtor axum actix hyper${BASELINE_BIN:+ showcase@base oxtor@base}}
}

# contestant_command NAME PORT: the server command line of contestant NAME (see
# bench/engine_counts.sh), from $bin (build_aligned) or, for showcase@base and oxtor@base,
# BASELINE_BIN. Besides the defaults: `compression` and `lifecycle`, oxtor with only that one of
# the showcase's plugins.
contestant_command() {
    case "$1" in
        showcase) echo "$bin/bench_oxtor $2 showcase" ;;
        oxtor) echo "$bin/bench_oxtor $2" ;;
        compression | lifecycle) echo "$bin/bench_oxtor $2 $1" ;;
        axum | actix | hyper) echo "$bin/bench_$1 $2" ;;
        showcase@base | oxtor@base)
            if [ -z "${BASELINE_BIN:-}" ]; then
                echo "contestant $1 needs BASELINE_BIN" >&2
                return 1
            fi
            if [ "$1" = showcase@base ]; then echo "$BASELINE_BIN $2 showcase"; else echo "$BASELINE_BIN $2"; fi
            ;;
        *)
            echo "unknown contestant $1" >&2
            return 1
            ;;
    esac
}
