#!/usr/bin/env bash
# Benchmark idpyoidc 5.0.0 in process (see README.md in this directory).
# Usage: bench/idpyoidc/run.sh [--runs N] [--token-seconds S] [--json]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${HERE}/../.." && pwd)"
VENV="${ROOT}/target/idpy-venv"
IDPYOIDC_VERSION="5.0.0"

if [[ ! -x "${VENV}/bin/python" ]]; then
    rm -rf "${VENV}"
    python3 -m venv "${VENV}"
fi

# Install only when the pinned version is not there yet; pip's own output goes
# to stderr so that `--json` leaves exactly one JSON object on stdout.
if ! "${VENV}/bin/python" - "${IDPYOIDC_VERSION}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version("idpyoidc") == sys.argv[1] else 1)
PY
then
    "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check \
        "idpyoidc==${IDPYOIDC_VERSION}" 1>&2
fi

exec "${VENV}/bin/python" "${HERE}/bench.py" "$@"
