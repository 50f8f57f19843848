#!/usr/bin/env bash
# Client Auth benchmark (issue 11): a cached bearer token via the Auth plugin vs the same client
# without it, the header set by hand (the same bytes on the wire); a 100-request burst against an
# expired token, which must complete with exactly one refresh.
#  1. bench/src/bin/client_auth_bench.rs: ROUNDS rounds at 1 and 64 concurrent requests, each
#     round one child process per client (server and client on one thread each, MILLIS ms after
#     a warm-up) in a rotating order: Auth, no Auth, and no Auth again; the median per-round
#     ratio is printed (target >= 0.97), with the no Auth / no Auth ratio as a check that the
#     harness favours neither side (two clients in one process measured up to 15 % apart even
#     when both were the same client). Use this figure on a shared machine.
#  2. benches/client_auth.rs (criterion, unless SKIP_CRITERION=1; extra arguments go to
#     criterion): the same comparison as separate criterion benchmarks, then the burst.
#  3. With COUNTS=1: instructions and heap allocations per request (64 concurrent) of each client
#     alone, under valgrind (callgrind, dhat), from the difference of a 640- and a 3200-request
#     run: figures that do not depend on the machine's load. Instructions are counted on the
#     client's thread alone (callgrind --separate-threads; the server's thread is the same for
#     both) and for the whole process, with the client thread's simulated L1 cache misses (data
#     and instructions, --cache-sim): a call that touches more memory costs more than its
#     instructions say.
# Usage: [COUNTS=1] [SKIP_RATE=1 (skip step 1)] [SKIP_CRITERION=1] bench/client_auth.sh [ROUNDS] [MILLIS] [-- criterion args]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}; MILLIS=${2:-200}
shift $(( $# < 2 ? $# : 2 ))
[ "${1:-}" = "--" ] && shift
cargo build --release --quiet -p oxtor-bench --bin client_auth_bench
[ "${SKIP_RATE:-0}" = 1 ] || \
target/release/client_auth_bench "$ROUNDS" "$MILLIS"
if [ "${COUNTS:-0}" = 1 ]; then
  command -v valgrind >/dev/null || apt-get install -y valgrind
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
  for tool in callgrind dhat; do
    for client in plain auth; do
      for n in 640 3200; do
        extra=(); [ $tool = callgrind ] && extra=(--separate-threads=yes --cache-sim=yes)
        valgrind --tool=$tool "${extra[@]}" --$tool-out-file="$out/$tool.$client.$n" \
          target/release/client_auth_bench count $client $n >"$out/$tool.$client.$n.log" 2>&1
      done
    done
  done
  python3 - "$out" <<'PY'
import re, sys, pathlib
out = pathlib.Path(sys.argv[1])
def events(client, n, thread=None):
    # One file per thread: -01 is the main thread (the client), -02 the server's.
    files = sorted(out.glob(f"callgrind.{client}.{n}-*"))
    if thread is not None:
        files = [f for f in files if f.name.endswith(f"-{thread:02d}")]
    total = {}
    for f in files:
        text = f.read_text()
        names = re.search(r"^events: (.*)$", text, re.M).group(1).split()
        values = re.search(r"^summary: (.*)$", text, re.M).group(1).split()
        for name, value in zip(names, values):
            total[name] = total.get(name, 0) + int(value)
    return total
def ir(client, n, thread=None):
    return events(client, n, thread)["Ir"]
def l1_misses(client, n):
    e = events(client, n, 1)
    return e["D1mr"] + e["D1mw"], e["I1mr"]
def heap(client, n):
    text = (out / f"dhat.{client}.{n}.log").read_text()
    m = re.search(r"Total:\s+([\d,]+) bytes in ([\d,]+) blocks", text)
    return [int(g.replace(",", "")) for g in m.groups()]
per = {}
for c in ("plain", "auth"):
    (b1, a1), (b2, a2) = heap(c, 640), heap(c, 3200)
    client = (ir(c, 3200, 1) - ir(c, 640, 1)) / 2560
    (d1, i1), (d2, i2) = l1_misses(c, 640), l1_misses(c, 3200)
    per[c] = ((ir(c, 3200) - ir(c, 640)) / 2560, (a2 - a1) / 2560, (b2 - b1) / 2560, client)
    print(f"per request, {c:>5} (64 concurrent): {per[c][0]:8.0f} instructions ({client:.0f} on the client thread, L1 misses {(d2 - d1) / 2560:.0f} data {(i2 - i1) / 2560:.0f} instruction)  {per[c][1]:6.2f} allocations  {per[c][2]:7.0f} bytes allocated")
print(f"instructions ratio no Auth / Auth = {per['plain'][0] / per['auth'][0]:.3f} (process), {per['plain'][3] / per['auth'][3]:.3f} (client thread: the requests/s ratio on a CPU-bound client)")
PY
fi
[ "${SKIP_CRITERION:-0}" = 1 ] && exit 0
cargo bench --bench client_auth -- "$@"
python3 - <<'PY'
import json, pathlib
root = pathlib.Path("target/criterion")
def mean(*p):
    return json.loads((root.joinpath(*p) / "new" / "estimates.json").read_text())["mean"]["point_estimate"]
for n in ("1", "64"):
    a, b = mean("auth", "bearer_cached", n), mean("auth", "no_auth", n)
    print(f"criterion requests/s at {n:>2} concurrent: Auth (cached bearer) {int(n)/a*1e9:10.0f}  no Auth {int(n)/b*1e9:10.0f}  ratio = {b/a:.3f}")
burst = mean("burst", "expired_token_100")
print(f"criterion 100-request burst on an expired token (one refresh, asserted): {burst/1e6:.2f} ms")
PY
