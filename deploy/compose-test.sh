#!/usr/bin/env bash
# The docker path, end to end: build, images, `docker-compose up`, health,
# published ports bound to the host's loopback only, every story through
# the compose network and from the host over gRPC, and over HTTP against
# the AS's HTTP front at its issuer (`run --all --issuer`), an AS restart
# (its keys must survive), every story again; then two AS replicas on
# Redis: loss of one mid-run, a full restart (refresh tokens and
# registrations issued before must still work), key rotation — and always
# `down -v`.
# Prints the image sizes and how long the services took to become healthy.
#
# PROFILE is the cargo profile built and shipped in the images (default
# `optimized`, the whole-program-optimised build); PROFILE=release reuses a
# release build, as CI does.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PROFILE="${PROFILE:-optimized}"
built="./target/$PROFILE"
project="oidcstory-test-$$"
export AS_HOST_PORT="${AS_HOST_PORT:-55051}" RP_HOST_PORT="${RP_HOST_PORT:-55052}"
export AS_HTTP_HOST_PORT="${AS_HTTP_HOST_PORT:-55080}"
# The default binding is what is tested: the host's loopback.
unset OIDC_STORY_BIND
compose() { docker-compose -p "$project" -f deploy/docker-compose.yml "$@"; }
step() { printf '\n== %s\n' "$*"; }

teardown() {
  local status=$?
  step "teardown (exit status $status)"
  if [ "$status" -ne 0 ]; then
    compose logs --no-color --tail 50 || true
  fi
  compose --profile tools down -v --remove-orphans || true
  exit "$status"
}
trap teardown EXIT

step "build (profile $PROFILE)"
cargo build --profile "$PROFILE" --locked -p as-service -p rp-service -p orchestrator

step "images"
deploy/stage.sh
images="as-service rp-service orchestrator"
[ -x deploy/build/bin/redis-server ] && images="$images redis-server"
for bin in $images; do
  if ! docker build -f deploy/Dockerfile --build-arg "BIN=$bin" -t "oidc-story/$bin:latest" deploy/build >"$root/deploy/build/$bin.build.log" 2>&1; then
    cat "$root/deploy/build/$bin.build.log" >&2
    exit 1
  fi
done
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' 'oidc-story/*' | sed 's/^/image size: /'

# Waits until both services answer gRPC health checks on their published
# ports, then until Docker reports them healthy; prints both times.
wait_healthy() {
  local started=$1 deadline=$((SECONDS + 60))
  for port in "$AS_HOST_PORT" "$RP_HOST_PORT"; do
    until "$built"/as-service health --addr "127.0.0.1:$port" 2>/dev/null; do
      [ "$SECONDS" -lt "$deadline" ] || { echo "nothing answers on port $port" >&2; return 1; }
      sleep 0.05
    done
  done
  python3 -c "import time; print(f'serving after {time.time() - $started:.2f} s')"
  for service in as rp; do
    local id
    id="$(compose ps -q "$service")"
    until [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]; do
      [ "$SECONDS" -lt "$deadline" ] || { echo "$service never became healthy" >&2; return 1; }
      sleep 0.2
    done
  done
  python3 -c "import time; print(f'docker reports both healthy after {time.time() - $started:.2f} s')"
}

# Every story via the orchestrator container (compose names) and via the
# host binary (published ports); a failing story fails the script.
run_stories() {
  compose --profile tools run --rm orchestrator run --all --format json > "$1.compose.jsonl"
  "$built"/orchestrator run --all --format json \
    --as "127.0.0.1:$AS_HOST_PORT" --rp "127.0.0.1:$RP_HOST_PORT" > "$1.host.jsonl"
  python3 - "$1.compose.jsonl" "$1.host.jsonl" <<'PY'
import json, sys
for path in sys.argv[1:]:
    # Every line is a story but the last, the run's summary.
    stories = [s for s in map(json.loads, open(path)) if "story" in s]
    failed = [s["story"] for s in stories if not s["ok"]]
    where = "compose network" if "compose" in path else "host"
    print(f"{len(stories)} stories through the {where}: {'all ok' if not failed else 'FAILED ' + ', '.join(failed)}")
    if failed or len(stories) < 16:
        sys.exit(1)
PY
}

# The kids of the AS's public keys, read off a story's jwks step.
kids() {
  python3 - "$1.host.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    story = json.loads(line)
    if "story" not in story:
        continue
    for step in story["steps"]:
        if step["service"] == "jwks":
            print(" ".join(sorted(k["kid"] for k in step["response"]["body"]["keys"])))
            sys.exit(0)
sys.exit(1)
PY
}

# Every port the services publish is bound to the host's loopback
# (`docker port`), and is not reached through the host's other addresses.
loopback_only() {
  local service id ports others
  others="$(hostname -I 2>/dev/null || true)"
  for service in "$@"; do
    id="$(compose ps -q "$service")"
    ports="$(docker port "$id")"
    [ -n "$ports" ] || { echo "$service publishes no port" >&2; return 1; }
    while read -r inside _ published; do
      if [ "${published%:*}" != 127.0.0.1 ]; then
        echo "$service publishes $inside on $published, not on 127.0.0.1" >&2
        return 1
      fi
      for address in $others; do
        if python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)' \
          "$address" "${published##*:}" 2>/dev/null; then
          echo "$service: port ${published##*:} answers on $address too" >&2
          return 1
        fi
      done
      echo "$service: $inside published on $published only"
    done <<<"$ports"
  done
}

work="$(mktemp -d)"
step "docker-compose up"
started="$(python3 -c 'import time; print(time.time())')"
compose up -d as rp
wait_healthy "$started"
loopback_only as rp

step "stories"
run_stories "$work/first"
before="$(kids "$work/first")"

step "the AS over HTTP"
check_http() {
  python3 - "$AS_HTTP_HOST_PORT" <<'PY'
import base64, json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
meta = json.load(urllib.request.urlopen(base + "/.well-known/openid-configuration"))
assert meta["token_endpoint"] == meta["issuer"].rstrip("/") + "/token", meta
basic = base64.b64encode(b"client_1:another+password").decode()
request = urllib.request.Request(
    base + "/token",
    data=b"grant_type=client_credentials",
    headers={"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"},
)
token = json.load(urllib.request.urlopen(request))
assert token["token_type"] == "Bearer" and token["access_token"], token
print(f"HTTP on port {sys.argv[1]}: discovery (issuer {meta['issuer']}) and a client_credentials token")
PY
}
check_http

step "every story over HTTP, against the AS's HTTP front at its issuer"
issuer="http://127.0.0.1:$AS_HTTP_HOST_PORT"
# The host's gRPC run guessed user codes moments ago from the address this
# run comes from too (the Docker gateway): past the AS's per-caller window
# for wrong user codes (deploy/as.toml, [device] failure_window = 3 s), its
# device story is not taken for the guesser.
sleep 4
status=0
"$built"/orchestrator run --all --issuer "$issuer" --format json > "$work/http.jsonl" || status=$?
python3 - "$work/http.jsonl" "$issuer" "$status" <<'PY'
import json, sys
path, issuer, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [json.loads(l) for l in open(path)]
stories = [s for s in lines if "story" in s]
summary = lines[-1]["summary"]
t = summary["totals"]
print(f"{t['stories']} stories over HTTP at {issuer}: {t['passed']} passed, "
      f"{t['refused_as_expected']} refused as expected, {t['skipped']} skipped, "
      f"{t['refused_by_server']} refused by the server, {t['needs_browser']} needing a browser, "
      f"{t['failed']} failed (exit status {status})")
for s in stories:
    if s.get("skipped"):
        print(f"  skipped {s['story']}: {s['skipped']}")
    for step in s.get("steps", []):
        url = step["request"]["url"]
        if step["service"] != "backchannel_logout" and not url.startswith(issuer):
            sys.exit(f"{s['story']}: a request went to {url}, not to the issuer")
failed = [s["story"] for s in stories if not s["ok"] and not s.get("skipped") and not s.get("ending")]
if status != 0 or not summary["ok"] or t["failed"] or t["refused_by_server"] or t["needs_browser"] \
        or failed or len(stories) < 16:
    sys.exit(f"the run over HTTP did not pass: {', '.join(failed) or summary}")
PY

step "restart the AS"
started="$(python3 -c 'import time; print(time.time())')"
compose restart as
wait_healthy "$started"
run_stories "$work/second"
after="$(kids "$work/second")"
if [ "$before" != "$after" ]; then
  echo "the AS signing keys changed across the restart: $before -> $after" >&2
  exit 1
fi
echo "keys survived the restart: $after"

if [ ! -x deploy/build/bin/redis-server ]; then
  echo "SKIPPED the replicated deployment: no redis-server on this machine to build an image from"
  step "compose test passed"
  exit 0
fi

step "two AS replicas sharing Redis"
compose --profile tools down -v --remove-orphans
project="$project-replicas"
compose() { docker-compose -p "$project" -f deploy/docker-compose.replicas.yml "$@"; }
export AS1_HOST_PORT=55061 AS2_HOST_PORT=55071 RP_HOST_PORT=55062
replicas="127.0.0.1:$AS1_HOST_PORT,127.0.0.1:$AS2_HOST_PORT"
compose up -d redis as1 as2 rp
loopback_only as1 as2 rp
for port in "$AS1_HOST_PORT" "$AS2_HOST_PORT" "$RP_HOST_PORT"; do
  deadline=$((SECONDS + 60))
  until "$built"/as-service health --addr "127.0.0.1:$port" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "nothing answers on port $port" >&2; exit 1; }
    sleep 0.1
  done
done
check_all() {
  python3 - "$1" <<'PY'
import json, sys
stories = [s for s in map(json.loads, open(sys.argv[1])) if "story" in s]
failed = [s["story"] for s in stories if not s["ok"]]
print(f"{len(stories)} stories: {'all ok' if not failed else 'FAILED ' + ', '.join(failed)}")
sys.exit(1 if failed or len(stories) < 16 else 0)
PY
}
compose --profile tools run --rm orchestrator run --all --format json > "$work/replicas.compose.jsonl"
check_all "$work/replicas.compose.jsonl"
"$built"/orchestrator run --all --format json --as "$replicas" --rp "127.0.0.1:$RP_HOST_PORT" > "$work/replicas.host.jsonl"
check_all "$work/replicas.host.jsonl"
# Later runs from the host: the stories without the attacks. Every attack has
# just passed through both replicas; run four more times within a minute they
# would also register more clients than the AS allows one caller per minute.
stories="$("$built"/orchestrator list | awk '{print $1}' | grep -v '^attack_')"
before="$(kids "$work/replicas")"

step "a replica stopped during concurrent stories"
# The code and refresh stories: load with no client registration, which the
# AS rate-limits per caller (the runs after the loss register again).
"$built"/orchestrator bench oauth2_code oidc_code oauth2_token_refresh oauth2_add_on_dpop \
  --concurrency 8 --duration 4 --format json \
  --as "$replicas" --rp "127.0.0.1:$RP_HOST_PORT" > "$work/during-loss.json" || true &
bench_pid=$!
sleep 1.5
compose stop as1
wait $bench_pid || true
python3 -c "import json; r = json.load(open('$work/during-loss.json')); print(f\"during the loss: {r['completed']} stories completed, {r['errors']} cut off\")"
# shellcheck disable=SC2086
"$built"/orchestrator run $stories --format json --as "$replicas" --rp "127.0.0.1:$RP_HOST_PORT" > "$work/after-loss.host.jsonl"
check_all "$work/after-loss.host.jsonl"
echo "after the loss every story passed through the remaining replica"

step "every replica and Redis restarted"
# Issued through the surviving replica before the restart, checked through
# the other one after it (grpcio from the venv tests/python/run.sh makes).
venv="$root/target/py-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check grpcio grpcio-reflection protobuf
"$venv/bin/python" deploy/persistence_check.py issue "127.0.0.1:$AS2_HOST_PORT" "$work/issued.json"
compose start as1
compose restart redis as1 as2
for port in "$AS1_HOST_PORT" "$AS2_HOST_PORT"; do
  deadline=$((SECONDS + 60))
  until "$built"/as-service health --addr "127.0.0.1:$port" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "nothing answers on port $port" >&2; exit 1; }
    sleep 0.1
  done
done
# shellcheck disable=SC2086
"$built"/orchestrator run $stories --format json --as "$replicas" --rp "127.0.0.1:$RP_HOST_PORT" > "$work/restarted.host.jsonl"
check_all "$work/restarted.host.jsonl"
"$venv/bin/python" deploy/persistence_check.py check "127.0.0.1:$AS1_HOST_PORT" "$work/issued.json"
after="$(kids "$work/restarted")"
[ "$before" = "$after" ] || { echo "the replicas' keys changed across the restart" >&2; exit 1; }
echo "both replicas kept the shared key set: $after"

step "key rotation on the shared key file"
compose exec -T as1 /app keys rotate --delay 0 --retire-after 600
sleep 6   # every replica rereads the key file within 5 s
# shellcheck disable=SC2086
"$built"/orchestrator run $stories --format json --as "$replicas" --rp "127.0.0.1:$RP_HOST_PORT" > "$work/rotated.host.jsonl"
check_all "$work/rotated.host.jsonl"
rotated="$(kids "$work/rotated")"
[ "$(wc -w <<<"$rotated")" -eq "$(( $(wc -w <<<"$after") + 1 ))" ] \
  || { echo "after rotation the JWKS should hold the old keys and one new: $rotated" >&2; exit 1; }
for kid in $after; do
  grep -qw -- "$kid" <<<"$rotated" || { echo "the old key $kid is no longer published" >&2; exit 1; }
done
new_kid="$(comm -13 <(tr ' ' '\n' <<<"$after" | sort) <(tr ' ' '\n' <<<"$rotated" | sort))"
python3 - "$work/rotated.host.jsonl" "$new_kid" <<'PY'
import base64, json, sys
kids = set()
for line in open(sys.argv[1]):
    for step in json.loads(line).get("steps", []):
        body = (step.get("response") or {}).get("body")
        if isinstance(body, dict) and isinstance(body.get("access_token"), str) and body["access_token"].count(".") == 2:
            head = body["access_token"].split(".")[0]
            kids.add(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])
print(f"access tokens after the rotation were signed by: {sorted(kids)}")
sys.exit(0 if kids == {sys.argv[2]} else 1)
PY
echo "rotated: every access token is signed by the new key; published: $rotated"

step "compose test passed"
