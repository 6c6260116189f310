#!/usr/bin/env bash
# The stories against OpenID providers the project did not write, each
# installed from PyPI into one virtual environment and started on a free
# loopback port:
#   mock  oidc-provider-mock: a test OP with a "pick a user" login form;
#   dot   django-oauth-toolkit under gunicorn, with its defaults (PKCE
#         required), a test user and client made by dot/provision.py, its
#         Django login form and approval page filled in by --login.
# Each runs every story and every attack story with --all --issuer,
# and writes its two tables of docs/INTEROP.md from the results; fails when
# a committed table differs (UPDATE_INTEROP=1 rewrites them). An attack the
# provider lets through (not_refused) makes the orchestrator exit 1, as a
# story that fails does: that is a finding for the table, not a fault of
# the run; only an exit above 1 (the run could not be made) stops here.
#
#   tests/interop/run.sh [release|debug] [mock|dot|all]   (the orchestrator must be built)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/interop"
profile="${1:-release}"
which="${2:-all}"
orchestrator="$root/target/$profile/orchestrator"
[ -x "$orchestrator" ] || { echo "missing $orchestrator: run cargo build --$profile first" >&2; exit 2; }
# The peers' pins, their virtual environment ($venv), dot_state.
. "$here/peers.sh"

work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until $1 answers (at most 20 s).
wait_for() {
  for _ in $(seq 1 200); do
    "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$1', timeout=1)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 did not answer" >&2
  return 1
}

# Writes table $2 (made by table.py from run $1) between the markers $3
# and $4 of docs/INTEROP.md, or, without UPDATE_INTEROP, checks it is
# there as it is.
check_table() {
  local made="$1" label="$2" begin="$3" end="$4"
  local doc="$root/docs/INTEROP.md"
  local current
  current="$("$venv/bin/python" -c 'import sys; t=open(sys.argv[1]).read(); print(t.split(sys.argv[2]+"\n",1)[1].split(sys.argv[3],1)[0], end="")' "$doc" "$begin" "$end")"
  if [ "$current" != "$(cat "$made")" ]; then
    if [ -n "${UPDATE_INTEROP:-}" ]; then
      "$venv/bin/python" - "$doc" "$made" "$begin" "$end" <<'PY'
import sys
doc, table, begin, end = sys.argv[1:]
text = open(doc).read()
head, rest = text.split(begin + "\n", 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n" + open(table).read() + end + tail)
PY
      echo "docs/INTEROP.md rewritten ($label)"
    else
      echo "docs/INTEROP.md's $label table does not match this run (UPDATE_INTEROP=1 rewrites it):" >&2
      diff <(echo "$current") "$made" >&2 || true
      exit 1
    fi
  fi
}

# Runs `orchestrator run $3` against issuer $2 with the client flags that
# follow, into $work/$1.jsonl.
run_against() {
  local name="$1" issuer="$2" which="$3"
  shift 3
  set +e
  "$orchestrator" run "$which" --issuer "$issuer" "$@" --format json \
    >"$work/$name.jsonl" 2>"$work/$name.err"
  local status=$?
  set -e
  if [ "$status" -gt 1 ]; then
    cat "$work/$name.err" >&2
    echo "the orchestrator could not run against $issuer (exit $status)" >&2
    exit 1
  fi
}

# Runs every story and every attack (--all) against issuer $2 with the
# client flags that follow, and checks (or rewrites) the two tables named
# $1 in docs/INTEROP.md: the usage stories', the attacks'.
tabulate() {
  local name="$1" issuer="$2" peer="$3"
  shift 3
  run_against "$name" "$issuer" --all "$@"
  "$venv/bin/python" "$here/table.py" "$work/$name.jsonl" "$work/$name.md" "$peer"
  check_table "$work/$name.md" "$name" \
    "<!-- interop table: $name -->" "<!-- end of the $name table -->"
  "$venv/bin/python" "$here/table.py" "$work/$name.jsonl" "$work/$name-attacks.md" "$peer" attacks
  check_table "$work/$name-attacks.md" "$name attacks" \
    "<!-- interop attacks table: $name -->" "<!-- end of the $name attacks table -->"
  # The Basic OP plan, module by module (oidcc-codereuse-30seconds waits
  # half a minute).
  run_against "$name-plan" "$issuer" --plan=oidcc-basic "$@"
  "$venv/bin/python" "$here/table.py" "$work/$name-plan.jsonl" "$work/$name-plan.md" "$peer" plan
  check_table "$work/$name-plan.md" "$name plan" \
    "<!-- interop plan table: $name -->" "<!-- end of the $name plan table -->"
  # Every row after a table's two header lines is a story.
  echo "interop with $peer: $(($(wc -l <"$work/$name.md") - 2)) stories," \
    "$(($(wc -l <"$work/$name-attacks.md") - 2)) attacks and" \
    "$(($(wc -l <"$work/$name-plan.md") - 2)) plan modules tabled, as docs/INTEROP.md says"
}

if [ "$which" = mock ] || [ "$which" = all ]; then
  port="$(free_port)"
  "$venv/bin/oidc-provider-mock" --port "$port" >"$work/mock.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/.well-known/openid-configuration"
  tabulate mock "http://127.0.0.1:$port" "$mock_peer" \
    --client-id interop-client --client-secret interop-secret \
    --redirect-uri http://127.0.0.1:9876/callback --scope "profile email" \
    --login sub=alice
fi

if [ "$which" = dot ] || [ "$which" = all ]; then
  dot_state "$work/dot"
  (cd "$here/dot" && "$venv/bin/python" provision.py interop-client interop-secret \
    http://127.0.0.1:9876/callback alice "correct horse battery")
  port="$(free_port)"
  (cd "$here/dot" && exec "$venv/bin/gunicorn" --bind "127.0.0.1:$port" --workers 2 \
    interop_dot.wsgi) >"$work/dot.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$port/o/.well-known/openid-configuration"
  tabulate dot "http://127.0.0.1:$port/o" "$dot_peer" \
    --client-id interop-client --client-secret interop-secret \
    --redirect-uri http://127.0.0.1:9876/callback --scope "openid profile email read" \
    --login username=alice --login "password=correct horse battery"
fi
