#!/usr/bin/env bash
# Every performance figure of docs/PERFORMANCE.md, measured in one run on
# this machine: the token endpoint under load (in-process; then an external
# AS over gRPC, over its HTTP front with HTTP/1.1, h2c and h2 over TLS, and
# django-oauth-toolkit under gunicorn, all with the same load generator),
# whole stories (latency and throughput), `run --all` wall-clock, the AS's
# idle memory, memory per grant and issuance with 1,000,000 grants,
# criterion micro-benchmarks, and idpyoidc timed side by side. Prints a
# summary; raw results in target/bench/. Binaries are built with the
# `optimized` profile (fat LTO, one codegen unit), criterion's with `bench`.
#
#   bench/run.sh            (add --quick for shorter runs; needs openssl,
#                            python3 with venv, and PyPI for the peer)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
quick=0; [ "${1:-}" = "--quick" ] && quick=1
secs=$([ $quick = 1 ] && echo 3 || echo 10)
out="$root/target/bench"; mkdir -p "$out"
bin="$root/target/optimized"

echo "== machine"
{
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores: $(nproc)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "rustc: $(rustc --version)"
} | tee "$out/machine.txt"

echo "== optimized build (fat LTO)"
cargo build --profile optimized --locked -q

echo "== token endpoint: client_credentials, ES256, concurrency 64, ${secs} s"
"$bin/orchestrator" bench --token-endpoint --concurrency 64 --connections 4 --duration "$secs" --format json > "$out/token.json"

echo "== token endpoint by transport: external AS on loopback, client_credentials, concurrency 64, ${secs} s each"
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# Waits until URL $1 answers (curl options follow), at most 20 s.
wait_http() {
  local url="$1"; shift
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "$@" "$url" && return 0
    sleep 0.1
  done
  echo "$url did not answer" >&2
  return 1
}
# One token load of the same generator (orchestrator bench): $1 names the
# result, the rest says where and how.
load() {
  local name="$1"; shift
  "$bin/orchestrator" bench --token-endpoint --concurrency 64 --duration "$secs" --format json "$@" \
    > "$out/transport-$name.json"
}
# A self-signed certificate for this run's HTTPS front.
tls="$out/tls"; mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:FALSE \
  -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
# One AS serving gRPC and plain HTTP (HTTP/1.1 and h2c on one port), one
# serving HTTPS; the same binary and built-in configuration.
gport="$(free_port)"; hport="$(free_port)"; sgport="$(free_port)"; sport="$(free_port)"
env -u AS_CONFIG -u AS_STORE "$bin/as-service" --listen "127.0.0.1:$gport" \
  --http-listen "127.0.0.1:$hport" --issuer "http://127.0.0.1:$hport" >/dev/null 2>&1 &
plain_pid=$!
env -u AS_CONFIG -u AS_STORE "$bin/as-service" --listen "127.0.0.1:$sgport" \
  --http-listen "127.0.0.1:$sport" --issuer "https://127.0.0.1:$sport" \
  --http-tls-cert "$tls/cert.pem" --http-tls-key "$tls/key.pem" >/dev/null 2>&1 &
tls_pid=$!
trap 'kill $plain_pid $tls_pid 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$hport/jwks.json"
wait_http "https://127.0.0.1:$sport/jwks.json" --cacert "$tls/cert.pem"
# gRPC before and after the HTTP loads: the machine drifts over minutes,
# and the ratios are taken against the mean of the two.
# (The Token RPC's envelope names the token endpoint's URL, as the AS
# checks: this AS's issuer is its HTTP front's.)
load grpc-before --as "127.0.0.1:$gport" --connections 4 --token-url "http://127.0.0.1:$hport/token"
load http1 --http "http://127.0.0.1:$hport" --http-version 1.1
load h2c --http "http://127.0.0.1:$hport" --http-version 2 --connections 4
load h2 --http "https://127.0.0.1:$sport" --http-version 2 --connections 4 --ca "$tls/cert.pem"
load grpc-after --as "127.0.0.1:$gport" --connections 4 --token-url "http://127.0.0.1:$hport/token"
kill $plain_pid $tls_pid; trap - EXIT

echo "== django-oauth-toolkit under gunicorn ($(nproc) workers), the same load over HTTP/1.1"
# The peers' virtual environment and pins, as tests/interop/run.sh installs them.
. "$root/tests/interop/peers.sh"
dot_secret="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
rm -rf "$out/dot-state"
dot_state "$out/dot-state"
"$venv/bin/python" bench/dot/provision.py "$dot_secret"
dport="$(free_port)"
(cd tests/interop/dot && exec "$venv/bin/gunicorn" --bind "127.0.0.1:$dport" --workers "$(nproc)" \
  interop_dot.wsgi) > "$out/dot.log" 2>&1 &
dot_pid=$!
trap 'kill $dot_pid 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$dport/o/.well-known/openid-configuration"
load dot-plain --http "http://127.0.0.1:$dport/o" --client-id bench-plain --client-secret "$dot_secret"
load dot-hashed --http "http://127.0.0.1:$dport/o" --client-id bench-hashed --client-secret "$dot_secret"
kill $dot_pid; trap - EXIT

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
cargo run --profile optimized --locked -q -p as-service --example grants_memory > "$out/grants.json"

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
t = {n: load(f"transport-{n}.json") for n in
     ["grpc-before", "http1", "h2c", "h2", "grpc-after", "dot-plain", "dot-hashed"]}
grpc = (t["grpc-before"]["tokens_per_second"] + t["grpc-after"]["tokens_per_second"]) / 2
peer = t["dot-plain"]["tokens_per_second"]
print("token endpoint by transport (external processes on loopback, client_credentials, concurrency 64, same load generator):")
rows = [("grpc-before", "gRPC (4 HTTP/2 connections), before"),
        ("grpc-after", "gRPC, after"),
        ("http1", "HTTP front, HTTP/1.1 keep-alive (64 connections)"),
        ("h2c", "HTTP front, h2c (4 connections)"),
        ("h2", "HTTP front, h2 over TLS (4 connections)"),
        ("dot-plain", "django-oauth-toolkit, secret kept in plain"),
        ("dot-hashed", "django-oauth-toolkit, secret hashed (its default)")]
for name, label in rows:
    r = t[name]
    line = (f"  {label:<52} {r['tokens_per_second']:>9.0f} tokens/s  p99 {r['latency']['p99_ms']:>8.2f} ms  "
            f"errors {r['errors']}")
    if r.get("connections_opened") is not None:
        line += f"  connections opened {r['connections_opened']}"
    if name in ("http1", "h2c", "h2"):
        line += (f"  = {r['tokens_per_second'] / grpc:.2f}x gRPC (goal >= 0.8x), "
                 f"{r['tokens_per_second'] / peer:.0f}x django-oauth-toolkit (goal >= 20x)")
    print(line)
print(f"  (gRPC: mean of before and after, {grpc:.0f} tokens/s; django-oauth-toolkit with its default hashed secret: "
      f"{t['dot-hashed']['tokens_per_second']:.1f} tokens/s)")
allr = load("all-stories.json")
print(f"all stories round-robin at concurrency 8: {allr['stories_per_second']:.0f} stories/s, "
      f"{allr['grpc_calls_per_second']:.0f} gRPC calls/s, errors {allr['errors']}")
print(f"run --all (embedded, optimized profile, every story and attack, text to a file): median {statistics.median(walls) * 1000:.0f} ms, "
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
