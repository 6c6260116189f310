//! The end_session endpoint (OIDC RP-Initiated Logout 1.0 §2, §3): a user
//! agent sent by a client to log the user out. The session ended is the
//! login the `id_token_hint`'s `sid` names: the browser session it started
//! at the authorization endpoint is forgotten (its cookie logs no one in
//! again, and is cleared when the browser sends it), its grants are
//! revoked (their tokens die with them) and each client holding
//! one that registered a `backchannel_logout_uri` is sent a logout token
//! (OIDC Back-Channel Logout 1.0 §2.4–§2.5). Those notifications are
//! returned beside the answer, for the caller to deliver. The user agent
//! is redirected to a registered post-logout URI only for a configured
//! client; a self-registered client's is shown as a link on a page.
use std::sync::Arc;

use oauth_core::error::OAuthError;
use oauth_core::form::{self, Params};
use oauth_core::http::{HttpRequest, HttpResponse};

use super::html;
use crate::AuthServer;
use crate::config::Client;

mod notify;

pub use notify::{BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_LIFETIME, LOGOUT_TOKEN_TYP};

/// The answer to the user agent, and the back-channel logout requests the
/// server would send the clients of the session it ended.
#[derive(Debug)]
pub struct Ended {
    pub response: HttpResponse,
    pub outbound: Vec<HttpRequest>,
}

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> Ended {
    match end(server, request).await {
        Ok(ended) => ended,
        Err(e) => {
            super::log_refusal("end_session", None, &e, "refused");
            Ended {
                response: html::refusal(request, &e),
                outbound: Vec::new(),
            }
        }
    }
}

/// What an `id_token_hint` says, once verified as this server's ID token.
struct Hint {
    client_id: String,
    sid: Option<String>,
}

async fn end(server: &AuthServer, request: &HttpRequest) -> Result<Ended, OAuthError> {
    // §2: GET with the query, or POST with a form body.
    let params = match request.method.as_str() {
        "GET" => form::parse(request.url.query().unwrap_or(""))?,
        "POST" => super::post_form(request)?,
        _ => return Err(OAuthError::method_not_allowed("GET, POST")),
    };
    let hint = match params.get("id_token_hint") {
        Some(token) => Some(verify_hint(server, token)?),
        None => None,
    };
    let client = logout_client(server, &params, hint.as_ref()).await?;
    let redirect = redirect_target(&params, client.as_deref(), hint.is_some())?;
    let ended_sid = hint.as_ref().and_then(|h| h.sid.as_deref());
    // The browser's own login session, read before it ends: if it is the
    // one ended, its cookie is cleared too (the store forgets it anyway).
    let browser = match ended_sid {
        Some(_) => super::authorization::current_session(server, request).await?,
        None => None,
    };
    let outbound = match ended_sid {
        Some(sid) => notify::end_login(server, sid).await?,
        None => Vec::new(),
    };
    tracing::info!(
        endpoint = "end_session",
        client_id = client.as_ref().map(|c| c.client_id.as_str()),
        ended = hint.as_ref().is_some_and(|h| h.sid.is_some()),
        notifications = outbound.len(),
        "logout"
    );
    let ended = hint.as_ref().is_some_and(|h| h.sid.is_some());
    let response = match (redirect, client.as_deref()) {
        // RFC 9700 §4.11.2: a self-registered client's URIs are whatever
        // its registrant chose, and an ID token hint never expires: a
        // redirect would make this server's address a standing redirect
        // to them. The user is shown where the application asked to go.
        (Some(location), Some(client)) if client.dynamic => onward_page(&location, ended),
        (Some(location), _) => {
            HttpResponse::redirect(location.to_string()).with_header("cache-control", "no-store")
        }
        (None, _) if ended => html::page(
            200,
            "You are signed out",
            "<p>Your session has ended; the applications it signed you in to have been told.</p>\n",
        ),
        (None, _) => html::page(
            200,
            "No session was named",
            "<p>The request named no session of yours (no ID token hint), so none has ended.</p>\n",
        ),
    };
    let response = match browser {
        Some(session) if Some(session.sid.as_str()) == ended_sid => response.with_header(
            "set-cookie",
            super::authorization::set_cookie(server, "", 0),
        ),
        _ => response,
    };
    Ok(Ended { response, outbound })
}

/// §2: the hint must be an ID token this server issued; its expiry does not
/// matter (a logout often comes after it).
fn verify_hint(server: &AuthServer, token: &str) -> Result<Hint, OAuthError> {
    let bad = |why: &str| OAuthError::invalid_request(format!("id_token_hint: {why}"));
    let verified = oauth_core::jose::verify(
        token,
        &server.keys().verification,
        &[
            oauth_core::jose::JwsAlgorithm::RS256,
            oauth_core::jose::JwsAlgorithm::ES256,
        ],
    )
    .map_err(|e| bad(&e.to_string()))?;
    let text = |name: &str| {
        verified
            .claims
            .get(name)
            .and_then(serde_json::Value::as_str)
    };
    // An access token or logout token is signed with the same keys: only
    // an ID token (its `typ`, a `sub`, no `events`) stands for a login.
    let typ = verified
        .header
        .get("typ")
        .and_then(serde_json::Value::as_str);
    if typ != Some(oauth_core::oidc::ID_TOKEN_TYP)
        || text("sub").is_none()
        || verified.claims.contains_key("events")
    {
        return Err(bad("not an ID token"));
    }
    if text("iss") != Some(server.config.issuer.as_str()) {
        return Err(bad("not issued by this server"));
    }
    // OIDC Core §2: the client it was issued to is azp, or the only audience.
    let audiences = oauth_core::claims::audiences(&verified.claims);
    let client_id = match (text("azp"), audiences.as_slice()) {
        (Some(azp), _) if audiences.iter().any(|a| a == azp) => azp.to_owned(),
        (None, [only]) => only.clone(),
        _ => return Err(bad("it names no single client")),
    };
    Ok(Hint {
        client_id,
        sid: text("sid").map(str::to_owned),
    })
}

/// The client the logout is for: the hint's, which `client_id` must repeat
/// if sent (§2), or `client_id` alone.
async fn logout_client(
    server: &AuthServer,
    params: &Params,
    hint: Option<&Hint>,
) -> Result<Option<Arc<Client>>, OAuthError> {
    let client_id = match (params.get("client_id"), hint) {
        (Some(sent), Some(hint)) if sent != hint.client_id => {
            return Err(OAuthError::invalid_request(
                "client_id is not the client the id_token_hint was issued to",
            ));
        }
        (Some(sent), _) => sent,
        (None, Some(hint)) => hint.client_id.as_str(),
        (None, None) => return Ok(None),
    };
    match server.client(client_id).await? {
        Some(client) => Ok(Some(client)),
        None => Err(OAuthError::invalid_request(format!(
            "unknown client_id {client_id:?}"
        ))),
    }
}

/// §3: the user agent goes back only to a URI the client registered,
/// compared exactly, and only when the client is known from the hint or
/// `client_id`; `state` travels with it. Without a verified
/// `id_token_hint` there is no redirection at all (§3: the OP MUST NOT
/// redirect unless it can otherwise confirm the target is legitimate —
/// anyone may register a client naming any URI), only the page.
fn redirect_target(
    params: &Params,
    client: Option<&Client>,
    hinted: bool,
) -> Result<Option<url::Url>, OAuthError> {
    let Some(uri) = params.get("post_logout_redirect_uri") else {
        return Ok(None);
    };
    let Some(client) = client else {
        return Err(OAuthError::invalid_request(
            "post_logout_redirect_uri needs an id_token_hint or client_id naming its client",
        ));
    };
    if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
        return Err(OAuthError::invalid_request(
            "post_logout_redirect_uri is not one the client registered",
        ));
    }
    if !hinted {
        return Ok(None);
    }
    let mut location = url::Url::parse(uri).map_err(|e| {
        OAuthError::server_error("a registered URI does not parse")
            .with_cause(format!("post_logout_redirect_uri {uri:?}: {e}"))
    })?;
    if let Some(state) = params.get("state") {
        location.query_pairs_mut().append_pair("state", state);
    }
    Ok(Some(location))
}

/// The answer for a self-registered client (OIDC RP-Initiated Logout §3
/// leaves the OP free not to redirect; RFC 9700 §4.11.2): the session's
/// end, and where the application asked to send the user next as a plain
/// link, its host shown first, every value escaped. Nothing is followed
/// without the user.
fn onward_page(location: &url::Url, ended: bool) -> HttpResponse {
    let outcome = if ended {
        "<p>Your session has ended; the applications it signed you in to have been told.</p>\n"
    } else {
        "<p>The ID token hint named no session, so none has ended.</p>\n"
    };
    let host = location.host_str().unwrap_or("(no host)");
    let shown = html::escape(location.as_str());
    // Only a web address is offered as a link.
    let link = if matches!(location.scheme(), "https" | "http") {
        format!("<a href=\"{shown}\" rel=\"noreferrer\">{shown}</a>")
    } else {
        format!("<code>{shown}</code>")
    };
    let body = format!(
        "{outcome}<p>The application asked to send you on to:</p>\n\
         <p style=\"font-size:1.6em\"><strong>{}</strong></p>\n\
         <p>It chose that address itself when it registered; this server \
         does not vouch for it. Follow the link only if you expected to go \
         there:</p>\n<p>{link}</p>\n",
        html::escape(host)
    );
    let title = if ended {
        "You are signed out"
    } else {
        "No session has ended"
    };
    html::page(200, title, &body)
}

#[cfg(test)]
mod tests;
