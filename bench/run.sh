#!/usr/bin/env bash
# Every performance figure of docs/PERFORMANCE.md, measured in one run on
# this machine: the token endpoint under load, whole stories (latency and
# throughput), `run --all` wall-clock, the AS's idle memory, memory per
# grant and issuance with 1,000,000 grants, criterion micro-benchmarks, and
# idpyoidc timed side by side. Prints a summary; raw results in target/bench/.
#
#   bench/run.sh            (add --quick for shorter runs)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
quick=0; [ "${1:-}" = "--quick" ] && quick=1
secs=$([ $quick = 1 ] && echo 3 || echo 10)
out="$root/target/bench"; mkdir -p "$out"
bin="$root/target/release"

echo "== machine"
{
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores: $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "rustc: $(rustc --version)"
} | tee "$out/machine.txt"

echo "== release build"
cargo build --release --locked -q

echo "== token endpoint: client_credentials, ES256, concurrency 64, ${secs} s"
"$bin/orchestrator" bench --token-endpoint --concurrency 64 --connections 4 --duration "$secs" --format json > "$out/token.json"

echo "== stories, one at a time (latency) and at concurrency 8 (throughput)"
for story in oauth2_code oidc_code; do
  "$bin/orchestrator" bench "$story" --concurrency 1 --duration "$secs" --format json > "$out/latency-$story.json"
  "$bin/orchestrator" bench "$story" --concurrency 8 --duration "$secs" --format json > "$out/throughput-$story.json"
done
"$bin/orchestrator" bench --all --concurrency 8 --duration "$secs" --format json > "$out/all-stories.json"

echo "== run --all, wall-clock from process start (9 runs)"
for i in $(seq 1 9); do
  /usr/bin/time -f "%e" -o "$out/wall.$i" "$bin/orchestrator" run --all > "$out/run-all.txt"
done

echo "== AS resident memory, idle and after 5 s of token load"
"$bin/as-service" --listen 127.0.0.1:0 >/dev/null 2>&1 &
as_pid=$!
trap 'kill $as_pid 2>/dev/null || true' EXIT
sleep 1
port="$(ss -ltnp 2>/dev/null | awk -v p="pid=$as_pid," '$0 ~ p { n = split($4, a, ":"); print a[n]; exit }')"
idle_kb="$(awk '/VmRSS/ {print $2}' /proc/$as_pid/status)"
# The AS's own CPU (utime + stime, fields 14 and 15 of /proc/PID/stat, in
# clock ticks) over the tokens it issues: its cost per token, apart from
# the load generator's.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$as_pid/stat"; }
ticks_before="$(cpu_ticks)"
"$bin/orchestrator" bench --token-endpoint --as "127.0.0.1:$port" --concurrency 64 --duration 5 --format json > "$out/token-external.json"
ticks_after="$(cpu_ticks)"
loaded_kb="$(awk '/VmRSS/ {print $2}' /proc/$as_pid/status)"
kill $as_pid; trap - EXIT
echo "{\"idle_kb\": $idle_kb, \"after_load_kb\": $loaded_kb}" > "$out/as-rss.json"
echo "{\"cpu_seconds\": $(awk -v t="$((ticks_after - ticks_before))" -v hz="$(getconf CLK_TCK)" 'BEGIN {print t / hz}')}" > "$out/as-cpu.json"

echo "== grants: memory per grant, issuance with 1,000,000 outstanding"
cargo run --release --locked -q -p as-service --example grants_memory > "$out/grants.json"

echo "== criterion"
measure=$([ $quick = 1 ] && echo 1 || echo 3)
cargo bench --locked -q -p oauth-core --bench core -- --warm-up-time 1 --measurement-time "$measure" \
  --output-format bencher 2>/dev/null | grep -E '^test ' > "$out/criterion-core.txt" || true
cargo bench --locked -q -p as-service --bench store -- --warm-up-time 1 --measurement-time "$measure" \
  --output-format bencher 2>/dev/null | grep -E '^test ' > "$out/criterion-store.txt" || true

echo "== idpyoidc 5.0.0, in-process, same machine, same run"
bench/idpyoidc/run.sh --runs "$([ $quick = 1 ] && echo 50 || echo 200)" --token-seconds "$([ $quick = 1 ] && echo 2 || echo 5)" --json > "$out/idpyoidc.json"

python3 - "$out" <<'PY'
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
load = lambda name: json.loads((out / name).read_text())
token = load("token.json")
idpy = load("idpyoidc.json")
walls = sorted(float((out / f"wall.{i}").read_text()) for i in range(1, 10))
rss = load("as-rss.json")
grants = load("grants.json")
print("\n== summary")
print(f"token endpoint: {token['tokens_per_second']:.0f} tokens/s, p99 {token['latency']['p99_ms']:.2f} ms, "
      f"errors {token['errors']} (idpyoidc: {idpy['client_credentials_tokens_per_second']:.0f}/s on one core; "
      f"ratio {token['tokens_per_second'] / idpy['client_credentials_tokens_per_second']:.1f}x)")
for story in ["oauth2_code", "oidc_code"]:
    lat = load(f"latency-{story}.json")["story_latency"][story]
    thr = load(f"throughput-{story}.json")
    per_story_ms = 1000.0 / thr["stories_per_second"]
    theirs = idpy[story]["median_ms"]
    print(f"{story}: p50 {lat['p50_ms']:.3f} ms one at a time ({theirs / lat['p50_ms']:.1f}x idpyoidc's {theirs:.2f} ms); "
          f"{thr['stories_per_second']:.0f} stories/s at concurrency 8 = {per_story_ms:.3f} ms per story "
          f"({theirs / per_story_ms:.1f}x); errors {thr['errors']}")
allr = load("all-stories.json")
print(f"all stories round-robin at concurrency 8: {allr['stories_per_second']:.0f} stories/s, "
      f"{allr['grpc_calls_per_second']:.0f} gRPC calls/s, errors {allr['errors']}")
print(f"run --all (embedded, release, every story and attack, text to a file): median {statistics.median(walls) * 1000:.0f} ms, "
      f"max {walls[-1] * 1000:.0f} ms")
print(f"AS resident memory: idle {rss['idle_kb'] / 1024:.1f} MB, after load {rss['after_load_kb'] / 1024:.1f} MB")
external = load("token-external.json")
cpu = load("as-cpu.json")["cpu_seconds"]
per_token_us = cpu / external["tokens"] * 1e6 if external["tokens"] else float("nan")
es256_ns = next((float(line.split("bench:")[1].split("ns/iter")[0].replace(",", ""))
                 for line in (out / "criterion-core.txt").read_text().splitlines()
                 if "mint_access_token/ES256 " in line), None)
if es256_ns:
    print(f"AS CPU per client_credentials token (external AS, concurrency 64): {per_token_us:.1f} us "
          f"({cpu:.2f} CPU-s for {external['tokens']:,} tokens) = {per_token_us * 1000 / es256_ns:.2f}x "
          f"one ES256 mint ({es256_ns / 1000:.1f} us)")
else:
    print(f"AS CPU per client_credentials token (external AS): {per_token_us:.1f} us (no ES256 criterion figure)")
print(f"grants: {grants['bytes_per_grant']} bytes each at {grants['grants']:,}; issuance {grants['issuance_per_second_full']}/s "
      f"with them vs {grants['issuance_per_second_empty']}/s without ({grants['ratio'] * 100:.1f}%)")
print("criterion:")
for name in ["criterion-core.txt", "criterion-store.txt"]:
    for line in (out / name).read_text().splitlines():
        print("  " + " ".join(line.split()))
PY
