#!/usr/bin/env bash
# Client Auth benchmark (issue 11): a cached bearer token via the Auth plugin vs the same client
# without it, the header set by hand (the same bytes on the wire); a 100-request burst against an
# expired token, which must complete with exactly one refresh.
#  1. bench/src/bin/client_auth_bench.rs: the two clients side by side in one process (server and
#     clients on one thread each), ROUNDS alternating rounds of MILLIS ms at 1 and 64 concurrent
#     requests; the median per-round ratio is printed (target >= 0.97). Use this figure on a
#     shared machine.
#  2. benches/client_auth.rs (criterion, unless SKIP_CRITERION=1; extra arguments go to
#     criterion): the same comparison as separate criterion benchmarks, then the burst.
# Usage: bench/client_auth.sh [ROUNDS] [MILLIS] [-- criterion args]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-20}; MILLIS=${2:-200}
shift $(( $# < 2 ? $# : 2 ))
[ "${1:-}" = "--" ] && shift
cargo build --release --quiet -p oxtor-bench --bin client_auth_bench
target/release/client_auth_bench "$ROUNDS" "$MILLIS"
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
