"""A scripted browser for tests/rp-apache/run.sh: urllib with a cookie jar,
against Apache httpd with mod_auth_openidc (SITE) whose OpenID provider is
our AS over HTTP (ISSUER). Exits non-zero, saying what failed, when the RP
and the OP do not work together as a person would see it.

    python3 browser.py SITE ISSUER
"""
import base64
import http.cookiejar
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

site, issuer = sys.argv[1:3]
jar = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# The same cookies, but a redirect is an answer of its own.
one_step = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
# What a browser says it takes: the RP answers 401 to a caller that does
# not take HTML, instead of sending it to log in.
for opener in (browser, one_step):
    opener.addheaders = [
        ("User-Agent", "oidc-story rp-apache test browser"),
        ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
    ]


def fail(why):
    print(f"rp-apache: FAILED: {why}", file=sys.stderr)
    sys.exit(1)


def get(url):
    with browser.open(url, timeout=15) as answer:
        return answer.geturl(), answer.read().decode()


def first_answer(url):
    """The status and Location of one request, redirects not followed."""
    try:
        with one_step.open(url, timeout=15) as answer:
            return answer.status, answer.headers.get("location", "")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("location", "")


def info():
    _, body = get(f"{site}/protected/redirect?info=json")
    return json.loads(body)


def claims(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def log_in():
    """The person opens the protected page: sent to the OP, logged in
    there (our AS logs its configured user in), and back."""
    url, body = get(f"{site}/protected/")
    if url != f"{site}/protected/" or "protected page" not in body:
        fail(f"the protected page after login: {url}")


# 1. Login: the code flow (with PKCE), the claims the RP holds.
log_in()
got = info()
id_token, userinfo = got.get("id_token", {}), got.get("userinfo", {})
if id_token.get("iss") != issuer or id_token.get("sub") != "diana":
    fail(f"the RP's ID token claims: {id_token}")
if userinfo.get("name") != "Diana Krall" or userinfo.get("email") != "diana@example.org":
    fail(f"the RP's UserInfo claims: {userinfo}")
print(f"rp-apache: logged in as {id_token['sub']} ({userinfo['name']}), sid {id_token.get('sid')}")

# 2. Refresh: the RP refreshes an access token about to expire (its
# OIDCRefreshAccessTokenBeforeExpiry) with the refresh token it holds.
before = got.get("access_token")
if not before or not got.get("refresh_token"):
    fail(f"no access or refresh token held: {sorted(got)}")
time.sleep(2)
get(f"{site}/protected/")
after = info().get("access_token")
if not after or after == before:
    fail("the access token was not refreshed")
print("rp-apache: the access token was refreshed")

# 3. RP-initiated logout: the RP sends the browser to end_session with the
# ID token as hint, and the OP sends it back to the registered URI.
back = f"{site}/loggedout.html"
url, body = get(f"{site}/protected/redirect?logout={urllib.parse.quote(back, safe='')}")
if url != back or "signed out" not in body:
    fail(f"RP-initiated logout ended at {url}")
status, location = first_answer(f"{site}/protected/")
if status != 302 or not location.startswith(issuer):
    fail(f"after logout the protected page answers {status} {location}")
print("rp-apache: RP-initiated logout went to the OP and back; the RP's session is gone")

# 4. Back-channel logout: logged in again, the session is ended at the OP
# (as another application would end it); the OP itself posts a logout
# token to the RP's back-channel URI, and the RP's session ends too.
log_in()
_, token = get(f"{site}/protected/token.shtml")
token = token.strip()
if token.count(".") != 2 or claims(token).get("sid") is None:
    fail(f"the page behind the RP sees no ID token with sid: {token[:40]!r}")
metadata = json.loads(get(f"{issuer}/.well-known/openid-configuration")[1])
ended = urllib.request.urlopen(
    f"{metadata['end_session_endpoint']}?{urllib.parse.urlencode({'id_token_hint': token})}",
    timeout=15,
)
if ended.status != 200:
    fail(f"end_session at the OP answered {ended.status}")
for _ in range(50):
    status, location = first_answer(f"{site}/protected/")
    if status == 302 and location.startswith(issuer):
        break
    time.sleep(0.2)
else:
    fail("the back-channel logout token never ended the RP's session")
print("rp-apache: the OP's back-channel logout token ended the RP's session")
