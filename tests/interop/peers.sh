# Sourced (with $root set to the repository) by tests/interop/run.sh and
# bench/run.sh: the Python peers, pinned, installed from PyPI into one
# virtual environment, $venv; and dot_state, the throw-away state of the
# django-oauth-toolkit project in tests/interop/dot.
mock_peer="oidc-provider-mock==0.3.4"
dot_peer="django-oauth-toolkit==3.4.1"
venv="$root/target/interop-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  "$mock_peer" "$dot_peer" "Django==5.2.20" "gunicorn==23.0.0" "cryptography"

# Writes the django-oauth-toolkit project's state into directory $1 (its
# Django secret key and OIDC RSA key; the SQLite database goes there too)
# and exports INTEROP_DOT_STATE, which its settings read.
dot_state() {
  mkdir -p "$1"
  "$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$1/django-secret"
  "$venv/bin/python" - "$1/oidc.key" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
open(sys.argv[1], "wb").write(key.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
PY
  export INTEROP_DOT_STATE="$1"
}
