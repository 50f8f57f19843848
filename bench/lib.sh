# Shared by the bench/*.sh scripts (sourced, from the repository root): installing the load
# tools, and a scratch directory whose servers are stopped on exit.
#
#   need_tools wrk:wrk h2load:nghttp2-client   # command:package pairs, installed when missing
#   bench_workdir                              # sets $work; servers pushed onto pids=() are
#                                              # stopped (SIGINT, then SIGKILL after 5 s) at exit

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

bench_workdir() {
    work=$(mktemp -d)
    pids=()
    trap bench_cleanup EXIT
}
