#!/usr/bin/env bash
# The reflection path grpcurl takes, checked with Python's gRPC stack:
# creates a virtual environment (grpcio, grpcio-reflection from PyPI),
# starts the AS and RP binaries on free loopback ports, and runs
# reflection_check.py against them. Usage: tests/python/run.sh [PROFILE]
# (PROFILE: release or debug; the binaries must be built).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
profile="${1:-release}"
bin="$root/target/$profile"
venv="$root/target/py-venv"
for b in as-service rp-service; do
  [ -x "$bin/$b" ] || { echo "missing $bin/$b: run cargo build --$profile first" >&2; exit 2; }
done
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check grpcio grpcio-reflection protobuf

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
as_port="$(free_port)"; rp_port="$(free_port)"
logs="$(mktemp -d)"
"$bin/as-service" --listen "127.0.0.1:$as_port" >"$logs/as.log" 2>&1 & as_pid=$!
"$bin/rp-service" --listen "127.0.0.1:$rp_port" >"$logs/rp.log" 2>&1 & rp_pid=$!
trap 'kill $as_pid $rp_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for addr in "127.0.0.1:$as_port" "127.0.0.1:$rp_port"; do
  for _ in $(seq 1 50); do
    "$bin/as-service" health --addr "$addr" 2>/dev/null && break
    sleep 0.1
  done
done
"$venv/bin/python" "$root/tests/python/reflection_check.py" "127.0.0.1:$as_port" "127.0.0.1:$rp_port"
