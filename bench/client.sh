#!/usr/bin/env bash
# Runs benches/client.rs (oxtor client vs reqwest, read_to vs tokio::io::copy) and prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench client -- "$@"
python3 - <<'PY'
import json, pathlib
root = pathlib.Path("target/criterion")
def mean(*p):
    return json.loads((root.joinpath(*p) / "new" / "estimates.json").read_text())["mean"]["point_estimate"]
for n in ("1", "64"):
    o, r = mean("requests", "oxtor", n), mean("requests", "reqwest", n)
    print(f"requests/s at {n:>2} concurrent: oxtor {int(n)/o*1e9:10.0f}  reqwest {int(n)/r*1e9:10.0f}  ratio oxtor/reqwest = {r/o:.3f}")
rt, cp = mean("stream", "read_to"), mean("stream", "tokio_io_copy")
mib = 16
print(f"stream 16 MiB: read_to {mib/rt*1e9:8.0f} MiB/s  tokio::io::copy {mib/cp*1e9:8.0f} MiB/s  ratio read_to/copy = {cp/rt:.3f}")
PY
