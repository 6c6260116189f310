#!/usr/bin/env bash
# oauth2_code throughput with the memory store (one AS) against the Redis
# store (two AS replicas sharing one redis-server), same machine, same run:
# external processes on loopback, the orchestrator's bench at concurrency 8.
#
#   bench/stores.sh [SECONDS]       (needs redis-server on PATH; default 10 s)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
secs="${1:-10}"
bin="$root/target/release"
out="$root/target/bench"; mkdir -p "$out"
command -v redis-server >/dev/null || { echo "redis-server is not on PATH" >&2; exit 2; }
cargo build --release --locked -q -p as-service -p rp-service -p orchestrator

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
pids=()
work="$(mktemp -d)"
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
up() { # wait until a gRPC health check answers on $1
  for _ in $(seq 1 100); do "$bin/as-service" health --addr "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing answers on $1" >&2; exit 1
}

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly yes --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
rp="127.0.0.1:$(free_port)"
"$bin/rp-service" --listen "$rp" 2>"$work/rp.log" & pids+=($!)
memory="127.0.0.1:$(free_port)"
"$bin/as-service" --listen "$memory" 2>"$work/as-memory.log" & pids+=($!)
replicas=()
for _ in 1 2; do
  addr="127.0.0.1:$(free_port)"
  "$bin/as-service" --listen "$addr" --keys "$work/keys.json" --store "redis://127.0.0.1:$redis_port/0" \
    2>>"$work/as-redis.log" & pids+=($!)
  replicas+=("$addr")
done
for addr in "$rp" "$memory" "${replicas[@]}"; do up "$addr"; done
redis_as="$(IFS=,; echo "${replicas[*]}")"

bench() { "$bin/orchestrator" bench oauth2_code --concurrency 8 --duration "$secs" --format json --as "$1" --rp "$rp"; }
echo "== memory store, one AS, ${secs} s"
bench "$memory" > "$out/stores-memory.json"
echo "== Redis store (appendonly), two AS replicas, ${secs} s"
bench "$redis_as" > "$out/stores-redis.json"
python3 - "$out/stores-memory.json" "$out/stores-redis.json" <<'PY'
import json, sys
for label, path in zip(["memory, 1 AS      ", "Redis, 2 replicas "], sys.argv[1:]):
    r = json.load(open(path))
    lat = r["story_latency"]["oauth2_code"]
    print(f"{label}: {r['stories_per_second']:.0f} oauth2_code stories/s, p50 {lat['p50_ms']:.2f} ms, "
          f"p99 {lat['p99_ms']:.2f} ms, errors {r['errors']}")
PY
