#!/usr/bin/env bash
# Runs benches/client_auth.rs (cached bearer token via the Auth plugin vs the same client without
# it, the header set by hand; a 100-request burst against an expired token) and prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench client_auth -- "$@"
python3 - <<'PY'
import json, pathlib
root = pathlib.Path("target/criterion")
def mean(*p):
    return json.loads((root.joinpath(*p) / "new" / "estimates.json").read_text())["mean"]["point_estimate"]
for n in ("1", "64"):
    a, b = mean("auth", "bearer_cached", n), mean("auth", "no_auth", n)
    print(f"requests/s at {n:>2} concurrent: Auth (cached bearer) {int(n)/a*1e9:10.0f}  no Auth {int(n)/b*1e9:10.0f}  ratio = {b/a:.3f}")
burst = mean("burst", "expired_token_100")
print(f"100-request burst on an expired token (one refresh, asserted): {burst/1e6:.2f} ms")
PY
