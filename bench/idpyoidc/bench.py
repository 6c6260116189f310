#!/usr/bin/env python3
"""In-process benchmark of IdentityPython's idpyoidc (client + server in one process).

Times three things, with idpyoidc's own client (RP) and server (AS/OP) objects
exchanging messages directly, without any HTTP:

* ``oauth2_code``: OAuth 2.0 authorization code flow
  (server_metadata -> authorization -> token).
* ``oidc_code``: OpenID Connect code flow
  (provider_info -> authorization -> token (+ ID token) -> userinfo).
* The token endpoint alone, ``client_credentials`` grant, as tokens per second.

Configuration follows /work/shared/STORIES.md (issuer, users, clients, secrets,
lifetimes, audiences).  See README.md in this directory.
"""

import argparse
import base64
import json
import logging
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from importlib import metadata as importlib_metadata

from cryptojwt.jws.jws import factory as jws_factory
from cryptojwt.jwt import JWT
from cryptojwt.key_jar import KeyJar
from cryptojwt.key_jar import build_keyjar

from idpyoidc.client.oauth2 import Client
from idpyoidc.client.oidc import RP
from idpyoidc.message.oauth2 import is_error_message
from idpyoidc.server import Server
from idpyoidc.server.configure import ASConfiguration
from idpyoidc.server.configure import OPConfiguration
from idpyoidc.server.user_info import UserInfo
from idpyoidc.util import rndstr

# --------------------------------------------------------------------------
# Facts shared by every story (STORIES.md, "Common facts")
# --------------------------------------------------------------------------

ISSUER = "https://example.com/"
REDIRECT_URI = "https://example.com/cb"
ACR_PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:InternetProtocolPassword"
DEFAULT_AUD = ["https://example.org/appl"]

CODE_CLIENT_ID = "client"
CODE_CLIENT_SECRET = "SUPERhemligtlösenord"
CODE_CLIENT_SCOPES = ["foobar", "openid", "profile", "email", "offline_access"]

CC_CLIENT_ID = "client_1"
CC_CLIENT_SECRET = "another password"

# AS/OP signing keys: one RSA 2048 and one EC P-256 key.  The RPs get a key
# pair of the same kinds, as in idpyoidc's own tandem tests (unused by these
# stories, which authenticate the client with its secret).
SERVER_KEY_DEFS = [
    {"type": "RSA", "key": "", "use": ["sig"]},
    {"type": "EC", "crv": "P-256", "use": ["sig"]},
]
CLIENT_KEY_DEFS = SERVER_KEY_DEFS

# The users' claims (reference/users.json); only diana is ever logged in.
USERS = {
    "diana": {
        "name": "Diana Krall",
        "given_name": "Diana",
        "family_name": "Krall",
        "nickname": "Dina",
        "email": "diana@example.org",
        "email_verified": False,
        "phone_number": "+46907865000",
        "address": {
            "street_address": "Umeå Universitet",
            "locality": "Umeå",
            "postal_code": "SE-90187",
            "country": "Sweden",
        },
        "eduperson_scoped_affiliation": ["staff@example.org"],
        "webid": "http://bblfish.net/#hjs",
    },
    "babs": {
        "name": "Barbara J Jensen",
        "given_name": "Barbara",
        "family_name": "Jensen",
        "nickname": "babs",
        "email": "babs@example.com",
        "email_verified": True,
        "address": {
            "street_address": "100 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postal_code": "91608",
            "country": "USA",
        },
    },
    "upper": {
        "name": "Upper Crust",
        "given_name": "Upper",
        "family_name": "Crust",
        "email": "uc@example.com",
        "email_verified": True,
    },
}


def _oct_keys(*kids):
    # Symmetric keys generated in memory (no private_path: nothing is written).
    return {"key_defs": [{"type": "OCT", "use": ["enc"], "kid": kid} for kid in kids]}


def _crypt_conf():
    # Fernet encrypter used for authorization codes and session ids.
    return {"kwargs": {"keys": _oct_keys("password", "salt"), "iterations": 1}}


def _cookie_handler_conf():
    # Same as idpyoidc's default, but with keys kept in memory only.
    return {
        "class": "idpyoidc.server.cookie_handler.CookieHandler",
        "kwargs": {
            "keys": {
                "key_defs": [
                    {"type": "OCT", "use": ["enc"], "kid": "enc"},
                    {"type": "OCT", "use": ["sig"], "kid": "sig"},
                ]
            },
            "name": {
                "session": "oidc_op",
                "register": "oidc_op_rp",
                "session_management": "sman",
            },
        },
    }


def _authn_conf():
    # The authorization endpoint authenticates diana without interaction.
    return {
        "anon": {
            "acr": ACR_PASSWORD,
            "class": "idpyoidc.server.user_authn.user.NoAuthn",
            "kwargs": {"user": "diana"},
        }
    }


def _jwt_token(lifetime, alg="ES256"):
    return {
        "class": "idpyoidc.server.token.jwt_token.JWTToken",
        "kwargs": {
            "lifetime": lifetime,
            "alg": alg,
            "add_claims_by_scope": True,
            "aud": DEFAULT_AUD,
        },
    }


def _code_client_cdb_entry():
    return {
        "client_id": CODE_CLIENT_ID,
        "client_secret": CODE_CLIENT_SECRET,
        "redirect_uris": [(REDIRECT_URI, {})],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "allowed_scopes": CODE_CLIENT_SCOPES,
        "client_salt": "salted_peanuts",
    }


# --------------------------------------------------------------------------
# Server configurations
# --------------------------------------------------------------------------


def oauth2_server_conf():
    """AS for oauth2_code (and the client_credentials token endpoint)."""
    return {
        "issuer": ISSUER,
        "httpc_params": {"verify": False, "timeout": 1},
        "keys": {"uri_path": "jwks.json", "key_defs": SERVER_KEY_DEFS},
        "preference": {
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "client_credentials",
            ],
        },
        "endpoint": {
            "server_metadata": {
                "path": ".well-known/oauth-authorization-server",
                "class": "idpyoidc.server.oauth2.server_metadata.ServerMetadata",
                "kwargs": {},
            },
            "authorization": {
                "path": "authorization",
                "class": "idpyoidc.server.oauth2.authorization.Authorization",
                "kwargs": {},
            },
            "token": {
                "path": "token",
                "class": "idpyoidc.server.oauth2.token.Token",
                "kwargs": {
                    "client_authn_method": ["client_secret_basic", "client_secret_post"]
                },
            },
        },
        "authentication": _authn_conf(),
        "userinfo": {"class": UserInfo, "kwargs": {"db": USERS}},
        "claims_interface": {
            "class": "idpyoidc.server.session.claims.OAuth2ClaimsInterface",
            "kwargs": {},
        },
        "authz": {
            "class": "idpyoidc.server.authz.AuthzHandling",
            "kwargs": {
                "grant_config": {
                    "usage_rules": {
                        "authorization_code": {
                            "supports_minting": ["access_token", "refresh_token"],
                            "max_usage": 1,
                            "expires_in": 600,
                        },
                        "access_token": {"expires_in": 600},
                        "refresh_token": {
                            "supports_minting": ["access_token"],
                            "expires_in": 43200,
                        },
                    },
                    "expires_in": 43200,
                }
            },
        },
        "token_handler_args": {
            "code": {"lifetime": 600, "kwargs": {"crypt_conf": _crypt_conf()}},
            "token": _jwt_token(600),
            "refresh": _jwt_token(43200),
        },
        "session_params": {"encrypter": _crypt_conf()},
        "cookie_handler": _cookie_handler_conf(),
    }


def cc_server_conf():
    """AS for the client_credentials token endpoint (oauth2_cc)."""
    conf = oauth2_server_conf()
    conf["endpoint"] = {"token": conf["endpoint"]["token"]}
    conf["token_handler_args"] = {"token": _jwt_token(3600)}
    conf["authz"]["kwargs"]["grant_config"]["usage_rules"]["access_token"] = {
        "expires_in": 3600
    }
    return conf


def oidc_server_conf():
    """OP for oidc_code."""
    return {
        "issuer": ISSUER,
        "httpc_params": {"verify": False, "timeout": 1},
        "keys": {"uri_path": "jwks.json", "key_defs": SERVER_KEY_DEFS},
        "subject_types_supported": ["public", "pairwise", "ephemeral"],
        "endpoint": {
            "provider_config": {
                "path": ".well-known/openid-configuration",
                "class": "idpyoidc.server.oidc.provider_config.ProviderConfiguration",
                "kwargs": {},
            },
            "authorization": {
                "path": "authorization",
                "class": "idpyoidc.server.oidc.authorization.Authorization",
                "kwargs": {},
            },
            "token": {
                "path": "token",
                "class": "idpyoidc.server.oidc.token.Token",
                "kwargs": {
                    "client_authn_method": ["client_secret_basic", "client_secret_post"]
                },
            },
            "userinfo": {
                "path": "userinfo",
                "class": "idpyoidc.server.oidc.userinfo.UserInfo",
                "kwargs": {},
            },
        },
        "authentication": _authn_conf(),
        "userinfo": {"class": UserInfo, "kwargs": {"db": USERS}},
        "authz": {
            "class": "idpyoidc.server.authz.AuthzHandling",
            "kwargs": {
                "grant_config": {
                    "usage_rules": {
                        "authorization_code": {
                            "supports_minting": ["access_token", "refresh_token", "id_token"],
                            "max_usage": 1,
                            "expires_in": 300,
                        },
                        "access_token": {"expires_in": 600},
                        "refresh_token": {
                            "supports_minting": ["access_token", "refresh_token", "id_token"],
                            "expires_in": 43200,
                        },
                    },
                    "expires_in": 43200,
                }
            },
        },
        "token_handler_args": {
            "code": {"lifetime": 300, "kwargs": {"crypt_conf": _crypt_conf()}},
            "token": _jwt_token(600),
            "refresh": _jwt_token(43200),
            "id_token": {
                "class": "idpyoidc.server.token.id_token.IDToken",
                "kwargs": {"lifetime": 86400},
            },
        },
        "session_params": {"encrypter": _crypt_conf()},
        "cookie_handler": _cookie_handler_conf(),
    }


# --------------------------------------------------------------------------
# In-process plumbing
# --------------------------------------------------------------------------


class _JwksResponse:
    """What an HTTP GET of the AS's jwks_uri would return."""

    status_code = 200

    def __init__(self, text):
        self.text = text
        self.headers = {"Content-Type": "application/json"}


def in_process_jwks_fetcher(server):
    """An httpc for the client's KeyJar that serves the server's public JWKS.

    idpyoidc's client loads the keys named by ``jwks_uri`` as soon as it has
    processed the server metadata / provider configuration; this answers that
    GET from the server object instead of the network.
    """
    jwks_json = json.dumps(server.context.keyjar.export_jwks(private=False, issuer_id=""))
    jwks_uri = server.context.provider_info["jwks_uri"]

    def httpc(method, url, **kwargs):
        if method != "GET" or url != jwks_uri:
            raise RuntimeError(f"unexpected out-of-process request: {method} {url}")
        return _JwksResponse(jwks_json)

    return httpc


def to_wire(request, req_info, endpoint):
    """What goes over the wire: the query string of a GET, the body of a POST.

    idpyoidc's OAuth 2.0 token endpoint (idpyoidc.server.oauth2.token.Token)
    declares request_format "json", so for it the request is serialized as
    JSON (as idpyoidc's own usage stories do); every other endpoint used here
    takes urlencoded, for which the client's own body / query is used.
    """
    if endpoint.request_format == "json":
        return request.to_json()
    if req_info.get("method") == "POST" and "body" in req_info:
        return req_info["body"]
    return request.to_urlencoded()


def exchange(client, server, service_name, endpoint_name, request_args=None, state=""):
    """One request/response: client builds, server parses/processes/answers,
    client parses and verifies, client updates its state.  Returns
    (request Message, server response_args, client-parsed response)."""
    service = client.get_service(service_name)
    endpoint = server.get_endpoint(endpoint_name)

    kwargs = {"state": state} if state else {}
    req_info = service.get_request_parameters(request_args=request_args or {}, **kwargs)
    request = req_info.get("request")
    headers = req_info.get("headers")
    http_info = {"headers": headers} if headers else {}

    if request:
        parsed = endpoint.parse_request(to_wire(request, req_info, endpoint),
                                        http_info=http_info)
    else:
        parsed = endpoint.parse_request(request, http_info=http_info)
    if is_error_message(parsed):
        raise RuntimeError(f"{endpoint_name}: parse_request failed: {parsed.to_dict()}")

    processed = endpoint.process_request(parsed, http_info=http_info)
    if is_error_message(processed) or "error" in processed:
        _err = processed.to_dict() if hasattr(processed, "to_dict") else processed
        raise RuntimeError(f"{endpoint_name}: process_request failed: {_err}")

    server_response = endpoint.do_response(**processed)

    response = service.parse_response(server_response["response"], state=state)
    if is_error_message(response):
        raise RuntimeError(f"{service_name}: error response: {response.to_dict()}")
    service.update_service_context(response, key=state)
    return request, processed.get("response_args"), response


def reset_discovered_keys(client):
    """Forget the AS keys a previous run loaded through jwks_uri.

    Every run starts with discovery, which adds a key bundle for the jwks_uri;
    without this the client's KeyJar would grow by one bundle per run.
    """
    keyjar = client.keyjar
    if ISSUER in keyjar:
        del keyjar[ISSUER]


# --------------------------------------------------------------------------
# The stories
# --------------------------------------------------------------------------


class OAuth2CodeStory:
    name = "oauth2_code"

    def __init__(self):
        self.server = Server(ASConfiguration(conf=oauth2_server_conf(), base_path=os.getcwd()),
                             cwd=os.getcwd())
        self.server.context.cdb[CODE_CLIENT_ID] = _code_client_cdb_entry()

        client_conf = {
            "issuer": ISSUER,
            "client_id": CODE_CLIENT_ID,
            "client_secret": CODE_CLIENT_SECRET,
            "redirect_uris": [REDIRECT_URI],
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }
        services = {
            "server_metadata": {
                "class": "idpyoidc.client.oauth2.server_metadata.ServerMetadata"
            },
            "authorization": {"class": "idpyoidc.client.oauth2.authorization.Authorization"},
            "access_token": {"class": "idpyoidc.client.oauth2.access_token.AccessToken"},
        }
        self.client = Client(
            client_type="oauth2",
            config=client_conf,
            keyjar=build_keyjar(CLIENT_KEY_DEFS),
            services=services,
        )
        self.client.keyjar.httpc = in_process_jwks_fetcher(self.server)

    def before_run(self):
        reset_discovered_keys(self.client)

    def run(self):
        c, s = self.client, self.server
        context = c.get_context()

        # 1. server metadata (RFC 8414)
        exchange(c, s, "server_metadata", "server_metadata")

        # 2. authorization request, new state
        state = context.cstate.create_state(iss=context.get("issuer"))
        req_args = {
            "response_type": "code",
            "state": state,
            "redirect_uri": REDIRECT_URI,
            "scope": ["foobar"],
        }
        areq, _, auth_resp = exchange(c, s, "authorization", "authorization", req_args, state)
        if auth_resp.get("state") != state or "code" not in auth_resp:
            raise RuntimeError(f"bad authorization response: {auth_resp.to_dict()}")

        # 3. access token request (client_secret_basic)
        token_args = {
            "code": auth_resp["code"],
            "state": state,
            "redirect_uri": areq["redirect_uri"],
            "grant_type": "authorization_code",
        }
        _, _, tok = exchange(c, s, "accesstoken", "token", token_args, state)
        if "access_token" not in tok:
            raise RuntimeError(f"no access_token in token response: {tok.to_dict()}")
        return tok

    def describe(self, tok):
        return describe_jwt(tok["access_token"])


class OidcCodeStory:
    name = "oidc_code"

    def __init__(self):
        self.server = Server(OPConfiguration(conf=oidc_server_conf(), base_path=os.getcwd()),
                             cwd=os.getcwd())
        self.server.context.cdb[CODE_CLIENT_ID] = dict(
            _code_client_cdb_entry(), id_token_signed_response_alg="RS256"
        )

        client_conf = {
            "issuer": ISSUER,
            "client_id": CODE_CLIENT_ID,
            "client_secret": CODE_CLIENT_SECRET,
            "redirect_uris": [REDIRECT_URI],
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "id_token_signed_response_alg": "RS256",
        }
        services = {
            "provider_info": {
                "class": "idpyoidc.client.oidc.provider_info_discovery.ProviderInfoDiscovery"
            },
            "authorization": {"class": "idpyoidc.client.oidc.authorization.Authorization"},
            "access_token": {"class": "idpyoidc.client.oidc.access_token.AccessToken"},
            "userinfo": {"class": "idpyoidc.client.oidc.userinfo.UserInfo"},
        }
        self.client = RP(config=client_conf, keyjar=build_keyjar(CLIENT_KEY_DEFS),
                         services=services)
        self.client.keyjar.httpc = in_process_jwks_fetcher(self.server)

    def before_run(self):
        reset_discovered_keys(self.client)

    def run(self):
        c, s = self.client, self.server
        context = c.get_context()

        # 1. provider info discovery (+ JWKS from jwks_uri, in process)
        exchange(c, s, "provider_info", "provider_config")

        # 2. authorization request, new state and nonce
        state = context.cstate.create_state(iss=context.get("issuer"))
        nonce = rndstr(32)
        context.cstate.bind_key(nonce, state)
        req_args = {
            "response_type": "code",
            "state": state,
            "nonce": nonce,
            "redirect_uri": REDIRECT_URI,
            "scope": ["openid", "foobar", "offline_access", "email"],
        }
        areq, _, auth_resp = exchange(c, s, "authorization", "authorization", req_args, state)
        if auth_resp.get("state") != state or "code" not in auth_resp:
            raise RuntimeError(f"bad authorization response: {auth_resp.to_dict()}")

        # 3. token request; the RP verifies the ID token (signature, iss, aud, exp, nonce)
        token_args = {
            "code": auth_resp["code"],
            "state": state,
            "redirect_uri": areq["redirect_uri"],
            "grant_type": "authorization_code",
        }
        _, _, tok = exchange(c, s, "accesstoken", "token", token_args, state)
        if "access_token" not in tok:
            raise RuntimeError(f"no access_token in token response: {tok.to_dict()}")
        idt = tok.get("__verified_id_token")
        if not idt:
            raise RuntimeError("ID token missing or not verified")
        if idt.get("nonce") != nonce:
            raise RuntimeError("ID token nonce mismatch")

        # 4. userinfo with the Bearer access token
        _, _, userinfo = exchange(c, s, "userinfo", "userinfo", {}, state)
        if userinfo.get("sub") != idt["sub"]:
            raise RuntimeError(f"userinfo sub mismatch: {userinfo.to_dict()}")
        return tok, idt, userinfo

    def describe(self, result):
        tok, idt, userinfo = result
        return {
            "access_token": describe_jwt(tok["access_token"]),
            "id_token": describe_jwt(tok["id_token"]),
            "userinfo_claims": sorted(userinfo.keys()),
        }


class ClientCredentialsTokenEndpoint:
    """Server-side token endpoint, client_credentials grant (oauth2_cc).

    idpyoidc 5.0.0 can serve only ONE client_credentials request per client
    per server: the first request creates a session branch
    ["client_credentials", client_id] and a grant; on the next request
    ClientCredentials.process_request() looks that branch up with
    session_manager.get(), gets a ClientSessionInfo object back, subscripts
    it (``_session_info["grant"]``) and dies with
    ``TypeError: 'ClientSessionInfo' object is not subscriptable`` (only
    KeyError is caught).  To measure the endpoint at all, the loop removes
    that session branch after every token, OUTSIDE the timed section, so each
    request takes the path idpyoidc can serve (new session branch + new grant
    + token).  That also keeps the session database from growing.
    """

    timed_loop = (
        "server side only, per token: Token.parse_request(<prebuilt request "
        "{grant_type: client_credentials, scope: resourceA} serialized as JSON, the "
        "request_format idpyoidc's oauth2 Token endpoint declares>, http_info={'headers': "
        "{'Authorization': 'Basic base64(client_1:another password)'}}) "
        "[client_secret_basic authentication + request parsing/verification] + "
        "Token.process_request() [client_credentials helper: new session branch and "
        "grant + ES256-signed JWT access token, lifetime 3600] + Token.do_response() "
        "[JSON response]. Outside the timed section: building the request once with "
        "idpyoidc's CCAccessTokenRequest client service, and after every token deleting "
        "the ['client_credentials', 'client_1'] session branch, without which idpyoidc "
        "5.0.0 raises TypeError on the 2nd request for the same client. "
        "tokens/s = tokens / sum of timed sections"
    )

    def __init__(self):
        self.server = Server(ASConfiguration(conf=cc_server_conf(), base_path=os.getcwd()),
                             cwd=os.getcwd())
        self.server.context.cdb[CC_CLIENT_ID] = {
            "client_id": CC_CLIENT_ID,
            "client_secret": CC_CLIENT_SECRET,
            "token_endpoint_auth_method": "client_secret_basic",
            "allowed_scopes": ["resourceA"],
            "grant_types_supported": ["client_credentials", "password"],
        }
        self.endpoint = self.server.get_endpoint("token")
        self.session_manager = self.server.context.session_manager

        client = Client(
            config={"client_id": CC_CLIENT_ID, "client_secret": CC_CLIENT_SECRET,
                    "base_url": "https://example.com"},
            services={
                "client_credentials": {
                    "class": "idpyoidc.client.oauth2.client_credentials.CCAccessTokenRequest",
                    "kwargs": {"default_authn_method": "client_secret_basic"},
                }
            },
        )
        service = client.get_service("client_credentials")
        service.endpoint = ISSUER + "token"
        info = service.get_request_parameters(
            request_args={"scope": ["resourceA"]}, authn_method="client_secret_basic"
        )
        self.body = to_wire(info["request"], info, self.endpoint)
        self.http_info = {"headers": info["headers"]}
        if not self.http_info["headers"].get("Authorization", "").startswith("Basic "):
            raise RuntimeError(f"client_credentials request not client_secret_basic: {info}")

    def one(self):
        ep = self.endpoint
        req = ep.parse_request(self.body, http_info=self.http_info)
        if is_error_message(req):
            raise RuntimeError(f"client_credentials parse_request failed: {req.to_dict()}")
        args = ep.process_request(req, http_info=self.http_info)
        if is_error_message(args) or "error" in args:
            raise RuntimeError(f"client_credentials process_request failed: {args}")
        return ep.do_response(**args)

    def reset(self):
        """Drop the client_credentials session branch (see class docstring)."""
        mngr = self.session_manager
        root = mngr.branch_key("client_credentials")
        if root in mngr.db:
            mngr.delete_sub_tree(root)

    def check(self, resp):
        body = json.loads(resp["response"])
        if "access_token" not in body:
            raise RuntimeError(f"no access_token: {body}")
        return body

    def second_request_without_reset(self):
        """Show idpyoidc's behaviour on a 2nd request with no reset (untimed)."""
        self.reset()
        self.check(self.one())
        try:
            self.one()
        except Exception as err:  # noqa: BLE001 - we report whatever it is
            outcome = f"{type(err).__name__}: {err}"
        else:
            outcome = "ok"
        self.reset()
        return outcome

    def measure(self, seconds, warmup=20):
        for _ in range(warmup):
            self.check(self.one())
            self.reset()
        one, reset, perf = self.one, self.reset, time.perf_counter
        cpu = time.thread_time
        count = 0
        timed = 0.0
        timed_cpu = 0.0
        wall_start = perf()
        deadline = wall_start + seconds
        last = None
        while True:
            c0 = cpu()
            t0 = perf()
            last = one()
            t1 = perf()
            timed_cpu += cpu() - c0
            timed += t1 - t0
            count += 1
            if count % 64 == 0:
                self.check(last)
            reset()
            if perf() >= deadline:
                break
        wall = perf() - wall_start
        body = self.check(last)
        return count, timed, timed_cpu, wall, body


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def describe_jwt(token):
    """Header and selected claims of a JWT (only decoded, for the report)."""
    jws = jws_factory(token)
    if not jws:
        return {"jwt": False}
    header = jws.jwt.headers
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return {
        "jwt": True,
        "alg": header.get("alg"),
        "kid": header.get("kid"),
        "signature_bytes": len(base64.urlsafe_b64decode(token.split(".")[2] + "==")),
        "aud": payload.get("aud"),
        "lifetime_s": payload.get("exp", 0) - payload.get("iat", 0),
        "scope": payload.get("scope"),
    }


def verify_jwt_signature(token, server):
    """Verify a JWT with the server's public keys only (untimed sanity check)."""
    public = KeyJar()
    public.import_jwks(server.context.keyjar.export_jwks(private=False, issuer_id=""), ISSUER)
    return JWT(key_jar=public, allowed_sign_algs=["ES256", "RS256"]).unpack(token)


def client_rejects_tampered_id_token(story, token_response):
    """Feed the RP's token service the last token response with one byte of
    the ID token signature changed; True if idpyoidc refuses it (untimed)."""
    good = {k: v for k, v in token_response.to_dict().items() if not k.startswith("__")}
    head, payload, sig = good["id_token"].split(".")
    sig = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BA")
    bad = dict(good, id_token=f"{head}.{payload}.{sig}")
    service = story.client.get_service("accesstoken")
    logging.disable(logging.CRITICAL)  # idpyoidc logs the rejection at ERROR
    try:
        service.parse_response(json.dumps(bad))
    except Exception:  # noqa: BLE001 - any refusal counts
        return True
    finally:
        logging.disable(logging.NOTSET)
    return False


def summarize(samples_s):
    ms = sorted(x * 1000.0 for x in samples_s)
    n = len(ms)
    p90_index = max(0, min(n - 1, int(round(0.9 * n + 0.5)) - 1))  # nearest-rank
    return {
        "median_ms": round(statistics.median(ms), 3),
        "p90_ms": round(ms[p90_index], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "runs": n,
    }


def time_story(story, runs, warmup):
    result = None
    for _ in range(warmup):
        story.before_run()
        result = story.run()
    samples, cpu_samples = [], []
    perf, cpu = time.perf_counter, time.thread_time
    for _ in range(runs):
        story.before_run()
        c0 = cpu()
        t0 = perf()
        result = story.run()
        t1 = perf()
        c1 = cpu()
        samples.append(t1 - t0)
        cpu_samples.append(c1 - c0)
    return summarize(samples), summarize(cpu_samples), result


def key_summary(server):
    out = []
    for key in server.context.keyjar.get_issuer_keys(""):
        desc = key.kty
        if key.kty == "RSA":
            desc += f"-{key.public_key().key_size}"
        elif key.kty == "EC":
            desc += f"-{key.crv}"
        out.append(desc)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200, help="timed runs per story (default 200)")
    ap.add_argument("--token-seconds", type=float, default=3.0,
                    help="duration of the client_credentials token loop (default 3)")
    ap.add_argument("--warmup", type=int, default=5, help="untimed warm-up runs per story")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--log-debug", action="store_true",
                    help="let idpyoidc log at DEBUG (to os.devnull) while timing; by default "
                         "no logging handler is configured, as in a library caller that "
                         "leaves logging alone")
    args = ap.parse_args(argv)
    if args.log_debug:
        logging.basicConfig(level=logging.DEBUG, filename=os.devnull)
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    # idpyoidc writes nothing with this configuration, but run in a scratch
    # directory anyway so that no stray file lands in the repository.
    workdir = tempfile.mkdtemp(prefix="idpy-bench-")
    old_cwd = os.getcwd()
    os.chdir(workdir)
    try:
        oauth2 = OAuth2CodeStory()
        oidc = OidcCodeStory()
        cc = ClientCredentialsTokenEndpoint()

        oauth2_stats, oauth2_cpu, oauth2_result = time_story(oauth2, args.runs, args.warmup)
        oidc_stats, oidc_cpu, oidc_result = time_story(oidc, args.runs, args.warmup)
        cc_second = cc.second_request_without_reset()
        cc_count, cc_elapsed, cc_cpu, cc_wall, cc_body = cc.measure(args.token_seconds)

        # Sanity checks on what was produced (outside all timing).
        verify_jwt_signature(oauth2_result["access_token"], oauth2.server)
        verify_jwt_signature(oidc_result[0]["access_token"], oidc.server)
        verify_jwt_signature(oidc_result[0]["id_token"], oidc.server)
        verify_jwt_signature(cc_body["access_token"], cc.server)
        tamper_rejected = client_rejects_tampered_id_token(oidc, oidc_result[0])
        if not tamper_rejected:
            raise RuntimeError("idpyoidc accepted an ID token with a bad signature")
        stray = os.listdir(workdir)
    finally:
        os.chdir(old_cwd)
        shutil.rmtree(workdir, ignore_errors=True)

    out = {
        "library": "idpyoidc",
        "version": importlib_metadata.version("idpyoidc"),
        "python": platform.python_version(),
        "oauth2_code": oauth2_stats,
        "oidc_code": oidc_stats,
        "client_credentials_tokens_per_second": round(cc_count / cc_elapsed, 1),
        "timed_loop": cc.timed_loop,
        "details": {
            "cryptojwt_version": importlib_metadata.version("cryptojwt"),
            "cryptography_version": importlib_metadata.version("cryptography"),
            "implementation": platform.python_implementation(),
            "warmup_runs_per_story": args.warmup,
            "client_credentials_tokens": cc_count,
            "cpu_time_note": (
                "the headline numbers are wall-clock (perf_counter); the *_cpu figures "
                "are the same runs measured with this thread's CPU time (thread_time), "
                "which is less affected by other load on the machine"
            ),
            "oauth2_code_cpu": oauth2_cpu,
            "oidc_code_cpu": oidc_cpu,
            "client_credentials_tokens_per_cpu_second": round(cc_count / cc_cpu, 1),
            "idpyoidc_logging": "DEBUG to os.devnull" if args.log_debug else "not configured",
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
            "cpu_count": os.cpu_count(),
            "client_credentials_timed_seconds": round(cc_elapsed, 3),
            "client_credentials_wall_seconds_incl_session_reset": round(cc_wall, 3),
            "client_credentials_tokens_per_second_incl_session_reset": round(
                cc_count / cc_wall, 1),
            "client_credentials_second_request_without_reset": cc_second,
            "server_signing_keys": key_summary(oauth2.server),
            "oauth2_code_access_token": oauth2.describe(oauth2_result),
            "oidc_code": oidc.describe(oidc_result),
            "client_credentials_access_token": describe_jwt(cc_body["access_token"]),
            "client_credentials_response_token_type": cc_body.get("token_type"),
            "jwts_verified_with_server_public_keys": True,
            "client_rejects_tampered_id_token": tamper_rejected,
            "files_written_by_idpyoidc": stray,
            "story_timing": (
                "per run, all steps client and server side: discovery (incl. in-process "
                "JWKS fetch), authorization request build/parse/process/response/parse, "
                "token request build (client_secret_basic)/authenticate/verify/mint/parse"
                " (+ ID token verification and userinfo for oidc_code)"
            ),
        },
    }

    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"idpyoidc {out['version']} on {platform.python_implementation()} "
              f"{out['python']} (in-process, one core)")
        print()
        print(f"{'story':<14}{'runs':>6}{'median ms':>12}{'p90 ms':>10}{'mean ms':>10}")
        for name in ("oauth2_code", "oidc_code"):
            st = out[name]
            print(f"{name:<14}{st['runs']:>6}{st['median_ms']:>12.3f}{st['p90_ms']:>10.3f}"
                  f"{st['mean_ms']:>10.3f}")
        print()
        print(f"client_credentials token endpoint: "
              f"{out['client_credentials_tokens_per_second']:.1f} tokens/s "
              f"({cc_count} tokens in {cc_elapsed:.2f} s)")
        print(f"timed loop: {out['timed_loop']}")
        print()
        print("same runs in thread CPU time (less sensitive to other load): "
              f"oauth2_code median {oauth2_cpu['median_ms']:.3f} ms, "
              f"oidc_code median {oidc_cpu['median_ms']:.3f} ms, "
              f"{out['details']['client_credentials_tokens_per_cpu_second']:.1f} tokens/CPU-s")
        print()
        print("details:", json.dumps(out["details"], indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
