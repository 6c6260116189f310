//! Who is logged in at the authorization endpoint: the browser session a
//! login leaves behind (OIDC Core §3.1.2.3: the server authenticates the
//! user, or finds them already authenticated), and what `prompt` and
//! `max_age` ask of it (§3.1.2.1).
//!
//! A login — the configured user at once on a non-interactive endpoint,
//! the person's approval on the page of an interactive one — is kept in
//! the store (`store::BrowserSession`: user, auth_time, acr and the `sid`
//! its ID tokens carry) under the fingerprint of a random cookie value,
//! which the answer sets: `HttpOnly`, `SameSite=Lax`, `Path=/`, for the
//! session's lifetime, and `Secure` with the `__Host-` prefix when the
//! issuer is https. A later request carrying the cookie is answered from
//! that login — same user, auth_time and sid — unless it asks for a new
//! one (`prompt=login`, a `max_age` the login is older than). Ending the
//! `sid` (RP-Initiated Logout) forgets the session with it.
use oauth_core::canonical;
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::http::HttpRequest;
use oauth_core::random;
use oauth_core::secret::fingerprint;

use crate::AuthServer;
use crate::config::Client;
use crate::endpoint::authorization_request::{LoginAsk, another_user};
use crate::store::BrowserSession;

/// Bytes of a session cookie's random value.
const COOKIE_BYTES: usize = 32;

/// Cookie values looked up at most per request (a browser sends one).
const MAX_LOOKUPS: usize = 2;

/// The login an authorization is issued under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Login {
    pub(crate) user: String,
    pub(crate) auth_time: i64,
    pub(crate) acr: Option<String>,
    pub(crate) sid: String,
    /// A new session's `Set-Cookie` value, to go with the answer.
    pub(crate) set_cookie: Option<String>,
}

impl Login {
    /// The login a session stands for, taken up again.
    fn resumed(session: BrowserSession) -> Self {
        Self {
            user: session.user,
            auth_time: session.auth_time,
            acr: session.acr,
            sid: session.sid,
            set_cookie: None,
        }
    }
}

/// How the request is to be answered.
#[derive(Debug)]
pub(crate) enum Authenticated {
    /// Issued under this login.
    Login(Login),
    /// With the approval page, `chosen` the user selected on it at first.
    Page { chosen: String },
}

/// Whether the issuer is https: the cookie is then `Secure` (and
/// `__Host-`, RFC 6265bis §4.1.3.2: set by this host alone, for every path).
fn secure(server: &AuthServer) -> bool {
    server.config.issuer.starts_with("https://")
}

/// The session cookie's name.
pub(crate) fn cookie_name(server: &AuthServer) -> &'static str {
    if secure(server) {
        "__Host-oidc-story-session"
    } else {
        "oidc-story-session"
    }
}

/// The `Set-Cookie` value of a session cookie lasting `max_age` seconds
/// (0: the browser forgets it).
pub(crate) fn set_cookie(server: &AuthServer, value: &str, max_age: i64) -> String {
    let mut cookie = format!(
        "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax",
        cookie_name(server),
        max_age.max(0)
    );
    if secure(server) {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The browser session the request's `Cookie` header names (RFC 6265
/// §5.4: `name=value` pairs separated by `;`), if it is unexpired and not
/// ended. Only a value in the one spelling this server writes is looked up.
pub(crate) async fn current(
    server: &AuthServer,
    request: &HttpRequest,
) -> Result<Option<BrowserSession>, OAuthError> {
    let Some(header) = request.header("cookie") else {
        return Ok(None);
    };
    let name = cookie_name(server);
    let values = header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| canonical::token(v, COOKIE_BYTES).is_some())
        .take(MAX_LOOKUPS);
    let now = server.clock.now();
    for value in values {
        if let Some(session) = server
            .store
            .browser_session(&fingerprint(value), now)
            .await?
        {
            return Ok(Some(session));
        }
    }
    Ok(None)
}

/// A new login of `user`, now: a session with a new `sid`, kept in the
/// store, and its cookie.
async fn start(server: &AuthServer, user: String) -> Result<Login, OAuthError> {
    let now = server.clock.now();
    let value = random::token(COOKIE_BYTES);
    let lifetime = server.config.session_lifetime;
    let session = BrowserSession {
        sid: random::token(16),
        user,
        auth_time: now,
        acr: Some(server.config.login_acr.clone()),
        expires_at: now.saturating_add(lifetime),
    };
    if !server
        .store
        .put_browser_session(fingerprint(&value), session.clone(), now)
        .await?
    {
        return Err(OAuthError::server_error("the login could not be kept")
            .with_cause("a sid just drawn at random was found ended"));
    }
    Ok(Login {
        set_cookie: Some(set_cookie(server, &value, lifetime)),
        ..Login::resumed(session)
    })
}

/// Who the request is answered for. `approved` is the user a person chose
/// on the approval page, if this is that page's answer.
pub(crate) async fn authenticate(
    server: &AuthServer,
    request: &HttpRequest,
    client: &Client,
    ask: &LoginAsk,
    approved: Option<String>,
) -> Result<Authenticated, OAuthError> {
    let now = server.clock.now();
    // §3.1.2.1: a login older than max_age, or any with prompt=login, does
    // not serve: the user is authenticated again.
    let session = current(server, request)
        .await?
        .filter(|s| !ask.needs_new_login(s.auth_time, now));
    let accepts = |user: &str| ask.accepts(&server.subject_for(client, user));
    if let Some(user) = approved {
        // The approval is a login, unless the person approved as the
        // session's user and the request asked for no new login.
        if !accepts(&user) {
            return Err(another_user());
        }
        return Ok(Authenticated::Login(match session {
            Some(s) if s.user == user => Login::resumed(s),
            _ => start(server, user).await?,
        }));
    }
    if ask.none {
        // §3.1.2.1, §3.1.2.6: no page and no authentication — a session
        // answers, or the client is told a login is required.
        let Some(session) = session else {
            return Err(OAuthError::new(
                ErrorCode::LoginRequired,
                "prompt=none, and this browser has no login session that serves the request",
            ));
        };
        if !accepts(&session.user) {
            return Err(another_user());
        }
        if server.config.interactive && client.dynamic {
            return Err(OAuthError::new(
                ErrorCode::ConsentRequired,
                "prompt=none, but this client needs the user's approval on a page",
            ));
        }
        return Ok(Authenticated::Login(Login::resumed(session)));
    }
    let session = session.filter(|s| accepts(&s.user));
    if !server.config.interactive {
        // As configured: the session's user, or the configured user logged
        // in now, without interaction.
        return Ok(Authenticated::Login(match session {
            Some(s) => Login::resumed(s),
            None if accepts(&server.config.login_user) => {
                start(server, server.config.login_user.clone()).await?
            }
            None => return Err(another_user()),
        }));
    }
    // Interactive: a session serves a configured client (its configuration
    // is its consent, as for offline_access) unless a page is asked for; a
    // self-registered client is approved by a person each time.
    match session {
        Some(s) if !client.dynamic && !ask.consent && !ask.select_account => {
            Ok(Authenticated::Login(Login::resumed(s)))
        }
        session => Ok(Authenticated::Page {
            chosen: chosen_user(server, client, ask, session.as_ref())?,
        }),
    }
}

/// The user the page selects at first: the one the request names by
/// `sub` (none of the configured users: `login_required` at once), else
/// the one `login_hint` names (by name or e-mail address; a hint only,
/// never a login, §3.1.2.1), else the session's, else the configured one.
fn chosen_user(
    server: &AuthServer,
    client: &Client,
    ask: &LoginAsk,
    session: Option<&BrowserSession>,
) -> Result<String, OAuthError> {
    let users = &server.config.users;
    if !ask.subjects.is_empty() {
        return users
            .keys()
            .find(|name| ask.accepts(&server.subject_for(client, name)))
            .cloned()
            .ok_or_else(another_user);
    }
    let hinted = ask.login_hint.as_deref().and_then(|hint| {
        users
            .iter()
            .find(|(name, user)| {
                *name == hint
                    || user
                        .claims
                        .get("email")
                        .and_then(|e| e.as_str())
                        .is_some_and(|e| e.eq_ignore_ascii_case(hint))
            })
            .map(|(name, _)| name.clone())
    });
    Ok(hinted
        .or_else(|| session.map(|s| s.user.clone()))
        .unwrap_or_else(|| server.config.login_user.clone()))
}

#[cfg(test)]
mod interactive_tests;
#[cfg(test)]
mod tests;
