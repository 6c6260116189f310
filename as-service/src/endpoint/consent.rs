//! The approval page of an interactive authorization endpoint
//! (`[authorization] interactive = true`): once a request has passed every
//! check, a person picks one of the configured users and approves or denies
//! it, and the form posts back to the authorization endpoint.
//!
//! The server keeps nothing between the page and the answer. The form
//! carries the request's parameters (as resolved: a pushed request or a
//! request object already expanded) and a CSRF token bound to them: the
//! time the page was made, a random nonce, and an HMAC under the server
//! secret of both and every parameter. A submission whose token is
//! missing, stale, made for other parameters or already used (the store's
//! replay set, shared by replicas) is refused; one whose token matches is a
//! request this server has already resolved, so it is not resolved again.
//! The token is read in the one spelling the server writes (no signed or
//! zero-padded time, no padded or stray-bit base64) and spent by its MAC
//! tag, so a page is answered once however its token is respelled.
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth_core::canonical;
use oauth_core::error::OAuthError;
use oauth_core::form::{self, Params};
use oauth_core::http::{HttpRequest, HttpResponse};

use super::html::{escape, page};
use crate::AuthServer;
use crate::config::Endpoint;

/// The form's own fields, beside the request's parameters.
pub(crate) const TOKEN_FIELD: &str = "csrf_token";
pub(crate) const USER_FIELD: &str = "user";
pub(crate) const DECISION_FIELD: &str = "decision";

/// How long an approval page may be answered, seconds.
const PAGE_LIFETIME: i64 = 600;

/// What the person chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Approve { user: String },
    Deny,
}

/// An approval form, verified: the request it approves and the decision.
pub(crate) struct Submission {
    pub(crate) params: Params,
    pub(crate) decision: Decision,
}

/// The approval form this request submits, if it is one: on an interactive
/// endpoint, a form POST carrying any of the form's own fields. Anything
/// else is an authorization request like any other.
pub(crate) async fn submission(
    server: &AuthServer,
    request: &HttpRequest,
    at: Endpoint,
) -> Option<Result<Submission, OAuthError>> {
    if !server.config.interactive || request.method != "POST" {
        return None;
    }
    let form = super::post_form(request).ok()?;
    let own = [TOKEN_FIELD, USER_FIELD, DECISION_FIELD];
    if !own.iter().any(|field| form.has(field)) {
        return None;
    }
    Some(verify(server, &form, at).await)
}

fn refused(why: &str) -> OAuthError {
    OAuthError::invalid_request(why).with_status(403)
}

async fn verify(
    server: &AuthServer,
    form: &Params,
    at: Endpoint,
) -> Result<Submission, OAuthError> {
    let token = form
        .get(TOKEN_FIELD)
        .ok_or_else(|| refused("the approval carries no CSRF token"))?;
    let params = form.without(&[TOKEN_FIELD, USER_FIELD, DECISION_FIELD]);
    let token = ApprovalToken::read(token).ok_or_else(|| refused("the CSRF token is malformed"))?;
    hmac::verify(
        &key(server),
        message(server, at, token.made, token.nonce, &params).as_bytes(),
        &token.tag,
    )
    .map_err(|_| refused("the CSRF token was not made for this request"))?;
    let made = token.made;
    let now = server.clock.now();
    if made > now + 60 || now - made > PAGE_LIFETIME {
        return Err(refused(
            "the approval page has expired; start the authorization again",
        ));
    }
    let decision = match form.get(DECISION_FIELD) {
        Some("approve") => {
            let user = form
                .get(USER_FIELD)
                .ok_or_else(|| OAuthError::invalid_request("no user was chosen"))?;
            if !server.config.users.contains_key(user) {
                return Err(OAuthError::invalid_request(format!(
                    "{user:?} is not a user of this server"
                )));
            }
            Decision::Approve {
                user: user.to_owned(),
            }
        }
        Some("deny") => Decision::Deny,
        _ => return Err(OAuthError::invalid_request("decide: approve or deny")),
    };
    // One answer per page: a replayed form issues nothing more. The page
    // is spent by its tag, the MAC the server computed, not by the text
    // posted: every spelling that verifies is the same page.
    let once = format!("approval\n{}", URL_SAFE_NO_PAD.encode(&token.tag));
    if !server
        .store
        .remember_once(&once, made + PAGE_LIFETIME + 1, now)
        .await?
    {
        return Err(refused("this approval page was already answered"));
    }
    Ok(Submission { params, decision })
}

/// A CSRF token as this server writes it, `{made}.{nonce}.{tag}`, read in
/// that one spelling: `made` a canonical decimal (no sign, no leading zero),
/// `nonce` and `tag` canonical base64url of their lengths (no padding, no
/// stray bits), so one page has one token text and one tag.
struct ApprovalToken<'a> {
    made: i64,
    nonce: &'a str,
    tag: Vec<u8>,
}

/// Bytes of the random nonce, and of the HMAC-SHA256 tag.
const NONCE_BYTES: usize = 16;
const TAG_BYTES: usize = 32;

impl<'a> ApprovalToken<'a> {
    fn read(text: &'a str) -> Option<Self> {
        let mut parts = text.split('.');
        let (Some(made), Some(nonce), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let made = i64::try_from(canonical::decimal(made, canonical::MAX_DIGITS)?).ok()?;
        canonical::token(nonce, NONCE_BYTES)?;
        let tag = canonical::token(tag, TAG_BYTES)?;
        Some(Self { made, nonce, tag })
    }
}

fn key(server: &AuthServer) -> hmac::Key {
    hmac::Key::new(
        hmac::HMAC_SHA256,
        format!("approval-page\n{}", server.secret().expose()).as_bytes(),
    )
}

/// Every parameter the form carries, in a fixed order: by name, the values
/// of a repeated one in the order sent. A pushed request's or a request
/// object's reference is not carried: the parameters are already expanded.
fn carried(params: &Params) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, _) in params.to_pairs() {
        if name == "request" || name == "request_uri" {
            continue;
        }
        for value in params.get_all(&name) {
            out.push((name.clone(), value.to_owned()));
        }
    }
    out
}

/// What the CSRF token signs: the endpoint the page posts to (so a page
/// made by one endpoint is no answer at another: the authorization
/// endpoint's pages must not serve as device-code guesses), its time, its
/// nonce and every parameter it carries.
fn message(server: &AuthServer, at: Endpoint, made: i64, nonce: &str, params: &Params) -> String {
    let pairs = carried(params);
    let encoded = form::encode(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let action = server.config.endpoints.url(at);
    format!("{action}\n{made}\n{nonce}\n{encoded}")
}

/// The CSRF token for a page made now for `params`, answered at `at`.
fn token(server: &AuthServer, at: Endpoint, params: &Params) -> String {
    let made = server.clock.now();
    let nonce = oauth_core::random::token(NONCE_BYTES);
    let tag = hmac::sign(
        &key(server),
        message(server, at, made, &nonce, params).as_bytes(),
    );
    format!("{made}.{nonce}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// What the request asks for beyond the scope, for the person to see: the
/// resources (RFC 8707) and each authorization detail (RFC 9396 §2: its
/// type and the members that say what may be done where).
fn what_else(params: &Params) -> String {
    let mut out = String::new();
    let resources = params.get_all("resource");
    if !resources.is_empty() {
        out.push_str("<p>For use at:</p>\n<ul>\n");
        for r in resources {
            out.push_str(&format!("<li><code>{}</code></li>\n", escape(r)));
        }
        out.push_str("</ul>\n");
    }
    let details: Vec<serde_json::Value> = params
        .get("authorization_details")
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    if !details.is_empty() {
        out.push_str("<p>With these permissions:</p>\n<ul>\n");
        for d in &details {
            let Some(members) = d.as_object() else {
                continue;
            };
            let parts: Vec<String> = members
                .iter()
                .map(|(k, v)| {
                    let shown = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("{}: <code>{}</code>", escape(k), escape(&shown))
                })
                .collect();
            out.push_str(&format!("<li>{}</li>\n", parts.join("; ")));
        }
        out.push_str("</ul>\n");
    }
    out
}

/// The approval page for a checked request of `client_id`, whose answer
/// goes to `redirect_uri`, with `chosen` selected at first.
pub(crate) fn approval_page(
    server: &AuthServer,
    client_id: &str,
    redirect_uri: &str,
    params: &Params,
    chosen: &str,
) -> HttpResponse {
    let target = url::Url::parse(redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| redirect_uri.to_owned());
    approval_page_at(
        server,
        Endpoint::Authorization,
        client_id,
        &target,
        params,
        chosen,
    )
}

/// OIDC Core §3.1.2.1 `ui_locales`: the languages the person would read,
/// in order. The page is in English; when none of them is, it says so.
fn language_note(params: &Params) -> String {
    let Some(asked) = params.get("ui_locales") else {
        return String::new();
    };
    let english = asked.split(' ').any(|tag| {
        let primary = tag.split('-').next().unwrap_or("");
        primary.eq_ignore_ascii_case("en")
    });
    if english {
        return String::new();
    }
    format!(
        "<p lang=\"en\">This page is in English only (languages asked for: <code>{}</code>).</p>\n",
        escape(asked)
    )
}

/// The approval page posting back to `action`: the authorization endpoint,
/// or the device verification URI (RFC 8628 §3.3), whose answer goes to
/// the device (`target`, as shown); the user `chosen` is selected at first.
pub(crate) fn approval_page_at(
    server: &AuthServer,
    action: Endpoint,
    client_id: &str,
    target: &str,
    params: &Params,
    chosen: &str,
) -> HttpResponse {
    let scope = params.get("scope").unwrap_or("(the client's default)");
    let mut body = language_note(params);
    body.push_str(&format!(
        "<p>The application <strong>{}</strong> asks to sign you in, for the scope \
         <code>{}</code>. Its answer goes to <strong>{}</strong>.</p>\n",
        escape(client_id),
        escape(scope),
        escape(target)
    ));
    body.push_str(&what_else(params));
    let posts_to = server.config.endpoints.url(action);
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">\n<fieldset>\n<legend>Sign in as</legend>\n",
        escape(posts_to.as_str())
    ));
    for (name, user) in &server.config.users {
        let checked = if name == chosen { " checked" } else { "" };
        let full_name = user
            .claims
            .get("name")
            .and_then(|n| n.as_str())
            .map(|n| format!(" ({})", escape(n)))
            .unwrap_or_default();
        body.push_str(&format!(
            "<label><input type=\"radio\" name=\"{USER_FIELD}\" value=\"{}\"{checked}> {}{full_name}</label>\n",
            escape(name),
            escape(name)
        ));
    }
    body.push_str("</fieldset>\n");
    for (name, value) in carried(params) {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
            escape(&name),
            escape(&value)
        ));
    }
    body.push_str(&format!(
        "<input type=\"hidden\" name=\"{TOKEN_FIELD}\" value=\"{}\">\n\
         <button type=\"submit\" name=\"{DECISION_FIELD}\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" name=\"{DECISION_FIELD}\" value=\"deny\">Deny</button>\n</form>\n",
        escape(&token(server, action, params))
    ));
    page(200, "Sign in", &body)
}

#[cfg(test)]
mod tests;
