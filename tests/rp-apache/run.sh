#!/usr/bin/env bash
# A widely deployed RP against our AS over HTTP: Apache httpd with
# mod_auth_openidc (Debian's apache2, libapache2-mod-auth-openidc), started
# on a loopback port with its own configuration, protecting /protected/
# with our as-service (--http-listen) as its OpenID provider. A scripted
# browser (tests/rp-apache/browser.py: urllib with a cookie jar) logs in,
# reads the claims the RP got, has the access token refreshed, logs out by
# RP-initiated logout, and logs in again to be logged out behind its back
# by the back-channel logout token our AS itself sends.
#
#   tests/rp-apache/run.sh [release|debug]     (as-service must be built)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/rp-apache"
profile="${1:-release}"
as="$root/target/$profile/as-service"
[ -x "$as" ] || { echo "missing $as: run cargo build --$profile first" >&2; exit 2; }
apache="$(command -v apache2 || true)"
modules=/usr/lib/apache2/modules
if [ -z "$apache" ] || [ ! -f "$modules/mod_auth_openidc.so" ]; then
  echo "needs apache2 and libapache2-mod-auth-openidc (Debian packages; .ci/run installs them)" >&2
  exit 2
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
work="$(mktemp -d)"
as_http="$(free_port)"; as_grpc="$(free_port)"; rp="$(free_port)"
issuer="http://127.0.0.1:$as_http"
site="http://127.0.0.1:$rp"
secret="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"

# The AS: its built-in configuration, and a client for Apache.
cp "$root/deploy/as.toml" "$work/as.toml"
cat >>"$work/as.toml" <<EOF

# Apache httpd with mod_auth_openidc (tests/rp-apache/run.sh).
[[clients]]
client_id = "apache"
client_secret = "$secret"
token_endpoint_auth_methods = ["client_secret_basic"]
grant_types = ["authorization_code", "refresh_token"]
response_types = ["code"]
redirect_uris = ["$site/protected/redirect"]
scopes = ["openid", "profile", "email", "offline_access"]
default_scope = ["openid"]
access_token_lifetime = 600
post_logout_redirect_uris = ["$site/loggedout.html"]
backchannel_logout_uri = "$site/protected/redirect?logout=backchannel"
backchannel_logout_session_required = true
EOF
"$as" --config "$work/as.toml" --keys "$work/keys.json" --listen "127.0.0.1:$as_grpc" \
  --http-listen "127.0.0.1:$as_http" --issuer "$issuer" >"$work/as.log" 2>&1 &
as_pid=$!

# Apache: a server root of its own, the module, /protected/ behind it.
mkdir -p "$work/htdocs/protected" "$work/logs"
echo '<!DOCTYPE html><title>signed out</title><p>signed out</p>' >"$work/htdocs/loggedout.html"
echo '<!DOCTYPE html><title>protected</title><p>protected page</p>' >"$work/htdocs/protected/index.html"
# The ID token the RP holds, as the page behind it sees it (SSI).
printf '%s\n' '<!--#echo encoding="none" var="OIDC_id_token" -->' >"$work/htdocs/protected/token.shtml"
cat >"$work/httpd.conf" <<EOF
ServerRoot "$work"
Listen 127.0.0.1:$rp
ServerName 127.0.0.1
PidFile "$work/httpd.pid"
ErrorLog "$work/logs/error.log"
LogLevel warn auth_openidc:${OIDC_LOG_LEVEL:-info}
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authn_core_module $modules/mod_authn_core.so
LoadModule authz_user_module $modules/mod_authz_user.so
LoadModule mime_module $modules/mod_mime.so
LoadModule dir_module $modules/mod_dir.so
LoadModule include_module $modules/mod_include.so
LoadModule auth_openidc_module $modules/mod_auth_openidc.so
TypesConfig /etc/mime.types
DocumentRoot "$work/htdocs"
DirectoryIndex index.html
OIDCProviderMetadataURL $issuer/.well-known/openid-configuration
OIDCClientID apache
OIDCClientSecret $secret
OIDCRedirectURI $site/protected/redirect
OIDCCryptoPassphrase $(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
OIDCScope "openid profile email offline_access"
OIDCPKCEMethod S256
OIDCSessionType server-cache
OIDCInfoHook iat access_token access_token_expires id_token userinfo refresh_token session
OIDCRefreshAccessTokenBeforeExpiry 599
OIDCPassIDTokenAs serialized
<Location /protected/>
  AuthType openid-connect
  Require valid-user
  Options +Includes
  AddOutputFilter INCLUDES .shtml
</Location>
EOF
# Run as root (a CI machine), Apache's workers take another user, who must
# read the site.
if [ "$(id -u)" -eq 0 ]; then
  printf 'User www-data\nGroup www-data\n' >>"$work/httpd.conf"
  chmod 755 "$work"
  chmod -R a+rX "$work/htdocs"
fi
"$apache" -f "$work/httpd.conf" -k start
trap 'kill $as_pid 2>/dev/null || true; "$apache" -f "$work/httpd.conf" -k stop 2>/dev/null || true; wait 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('$issuer/.well-known/openid-configuration', timeout=1)" 2>/dev/null && break
  sleep 0.1
done

if ! python3 "$here/browser.py" "$site" "$issuer"; then
  echo "--- apache error log" >&2; tail -n 40 "$work/logs/error.log" >&2
  echo "--- as-service log" >&2; tail -n 40 "$work/as.log" >&2
  exit 1
fi
