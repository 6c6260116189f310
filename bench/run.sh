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

echo "== AS resident memory, idle and after load; AS CPU per token and per empty call, each load between two ES256 mints (3 rounds)"
"$bin/as-service" --listen 127.0.0.1:0 >/dev/null 2>&1 &
as_pid=$!
trap 'kill $as_pid 2>/dev/null || true' EXIT
sleep 1
port="$(ss -ltnp 2>/dev/null | awk -v p="pid=$as_pid," '$0 ~ p { n = split($4, a, ":"); print a[n]; exit }')"
idle_kb="$(awk '/VmRSS/ {print $2}' /proc/$as_pid/status)"
# The AS's own CPU (utime + stime, fields 14 and 15 of /proc/PID/stat, in
# clock ticks) over the calls it answers: its cost per call, apart from
# the load generator's.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$as_pid/stat"; }
hz="$(getconf CLK_TCK)"
# One ES256 mint (criterion, ns), timed right before and after each load:
# the machine's speed drifts by several percent over minutes, so a ratio
# is only as good as the closeness in time of its two terms.
mint_ns() {
  cargo bench --locked -q -p oauth-core --bench core -- --warm-up-time 1 --measurement-time 2 \
    --output-format bencher 'mint_access_token/ES256$' 2>/dev/null | awk '/^test/ {gsub(",", "", $5); print $5}'
}
# Load on the running AS for 5 s: prints "calls cpu_seconds".
as_load() {
  local before after calls
  before="$(cpu_ticks)"
  "$bin/orchestrator" bench "$1" --as "127.0.0.1:$port" --concurrency 64 --duration 5 --format json > "$out/$2.json"
  after="$(cpu_ticks)"
  calls="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tokens"])' "$out/$2.json")"
  echo "$calls $(awk -v t="$((after - before))" -v hz="$hz" 'BEGIN {print t / hz}')"
}
cargo bench --locked -q -p oauth-core --bench core --no-run 2>/dev/null
rounds=""
for round in 1 2 3; do
  # (Each load's line is taken whole first, so that a failed load stops the script.)
  m0="$(mint_ns)"
  line="$(as_load --token-endpoint "token-external-$round")"
  read -r tokens token_cpu <<< "$line"
  m1="$(mint_ns)"
  line="$(as_load --health-check "health-external-$round")"
  read -r checks health_cpu <<< "$line"
  m2="$(mint_ns)"
  rounds="$rounds${rounds:+,}{\"mint_ns\": [$m0, $m1, $m2], \"tokens\": $tokens, \"token_cpu_seconds\": $token_cpu, \"health_checks\": $checks, \"health_cpu_seconds\": $health_cpu}"
done
loaded_kb="$(awk '/VmRSS/ {print $2}' /proc/$as_pid/status)"
kill $as_pid; trap - EXIT
echo "{\"idle_kb\": $idle_kb, \"after_load_kb\": $loaded_kb}" > "$out/as-rss.json"
echo "{\"rounds\": [$rounds]}" > "$out/as-cpu.json"

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
# Each round: a token load between two mints, then an empty-call load
# (grpc.health.v1 Check: the transport alone) between the second and a third.
ratios, floors = [], []
for r in load("as-cpu.json")["rounds"]:
    m0, m1, m2 = (ns / 1000 for ns in r["mint_ns"])
    token_us = r["token_cpu_seconds"] / r["tokens"] * 1e6
    health_us = r["health_cpu_seconds"] / r["health_checks"] * 1e6
    ratios.append((token_us / ((m0 + m1) / 2), token_us, (m0 + m1) / 2))
    floors.append((health_us / ((m1 + m2) / 2), health_us))
ratio, token_us, mint_us = sorted(ratios)[1]
floor, health_us = sorted(floors)[1]
print(f"AS CPU per client_credentials token (external AS, concurrency 64, median of 3 rounds): {token_us:.1f} us "
      f"= {ratio:.2f}x one ES256 mint ({mint_us:.1f} us, timed before and after); rounds "
      + ", ".join(f"{x[0]:.2f}x" for x in ratios))
print(f"AS CPU per empty gRPC call (grpc.health.v1 Check, same AS and load): {health_us:.1f} us = {floor:.2f}x the mint; "
      f"a token is at least a mint plus such a call: {1 + floor:.2f}x")
print(f"grants: {grants['bytes_per_grant']} bytes each at {grants['grants']:,}; issuance {grants['issuance_per_second_full']}/s "
      f"with them vs {grants['issuance_per_second_empty']}/s without ({grants['ratio'] * 100:.1f}%)")
print("criterion:")
for name in ["criterion-core.txt", "criterion-store.txt"]:
    for line in (out / name).read_text().splitlines():
        print("  " + " ".join(line.split()))
PY
