"""What the AS issued must outlive its processes: `issue` registers a client
and runs a code flow to a refresh token, saving both to STATE; after every
replica (and the store) has restarted, `check` refreshes that token and
authenticates as that client. Talks to the AS RPCs directly, with the
message types read from server reflection.

Usage: persistence_check.py issue|check AS_ADDR STATE_FILE
"""
import base64
import hashlib
import json
import os
import secrets
import sys
import urllib.parse

import grpc
from google.protobuf import descriptor_pool

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "python"))
from reflection_check import AS_SERVICE, call, load_symbol  # noqa: E402

FORM = {"content-type": "application/x-www-form-urlencoded"}
CLIENT, SECRET, REDIRECT = "client", "SUPERhemligtlösenord", "https://example.com/cb"


class As:
    def __init__(self, addr):
        self.channel = grpc.insecure_channel(addr)
        self.pool = descriptor_pool.DescriptorPool()
        load_symbol(self.channel, self.pool, AS_SERVICE)
        meta = self.rpc("ServerMetadata", "GET", "https://example.com/.well-known/oauth-authorization-server")
        self.metadata = json.loads(meta.body)

    def rpc(self, method, http_method, url, headers=None, body=""):
        return call(self.channel, self.pool, AS_SERVICE, method,
                    {"method": http_method, "url": url, "headers": headers or {}, "body": body})

    def endpoint(self, name):
        return self.metadata[name]


def expect(response, status, what):
    if response.status != status:
        sys.exit(f"{what}: HTTP {response.status}: {response.body}")
    return json.loads(response.body) if response.body else {}


def issue(server, state_path):
    registered = expect(server.rpc(
        "Registration", "POST", server.endpoint("registration_endpoint"),
        {"content-type": "application/json"},
        json.dumps({"redirect_uris": ["https://rp.example/cb"],
                    "token_endpoint_auth_method": "client_secret_post"})), 201, "registration")
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": CLIENT, "redirect_uri": REDIRECT,
        "scope": "foobar offline_access", "state": secrets.token_urlsafe(8),
        "code_challenge": challenge, "code_challenge_method": "S256"})
    answer = server.rpc("Authorization", "GET", f"{server.endpoint('authorization_endpoint')}?{query}")
    location = answer.location or answer.headers.get("location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code", [None])[0]
    if not code:
        sys.exit(f"authorization: no code in {location!r} (HTTP {answer.status}: {answer.body})")
    tokens = expect(server.rpc("Token", "POST", server.endpoint("token_endpoint"), FORM, urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": CLIENT, "client_secret": SECRET})), 200, "code exchange")
    if "refresh_token" not in tokens:
        sys.exit(f"code exchange: no refresh token in {tokens}")
    json.dump({"client_id": registered["client_id"], "client_secret": registered["client_secret"],
               "refresh_token": tokens["refresh_token"]}, open(state_path, "w"))
    print("issued: a registered client and a refresh token")


def check(server, state_path):
    state = json.load(open(state_path))
    refreshed = expect(server.rpc("Token", "POST", server.endpoint("token_endpoint"), FORM, urllib.parse.urlencode({
        "grant_type": "refresh_token", "refresh_token": state["refresh_token"],
        "client_id": CLIENT, "client_secret": SECRET})), 200, "refresh after the restart")
    if "access_token" not in refreshed:
        sys.exit(f"refresh after the restart: no access token in {refreshed}")
    # The registered client still authenticates (introspection needs client authentication).
    expect(server.rpc("Introspection", "POST", server.endpoint("introspection_endpoint"), FORM,
                      urllib.parse.urlencode({"token": refreshed["access_token"],
                                              "client_id": state["client_id"],
                                              "client_secret": state["client_secret"]})),
           200, "the registered client after the restart")
    print("after the restart: the refresh token refreshed and the registered client authenticated")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("issue", "check"):
        sys.exit(__doc__)
    {"issue": issue, "check": check}[sys.argv[1]](As(sys.argv[2]), sys.argv[3])
