//! RP-Initiated Logout (OIDC RP-Initiated Logout 1.0): the user agent sent
//! to the OP's end_session endpoint with the login's ID token as the hint,
//! and sent back to the RP's registered post-logout URI with the state.
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::random;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::endpoint_url;
use crate::service::outcome::{Parsed, StepError};
use crate::service::registry::AsEndpoint;
use crate::session::{Pending, Session};

/// §2: a GET with id_token_hint (the ID token of the login to end),
/// client_id, post_logout_redirect_uri and a fresh state.
pub fn request(
    rp: &RelyingParty,
    session: &Session,
    args: &std::collections::BTreeMap<String, String>,
) -> Result<HttpRequest, StepError> {
    if let Some(other) = args.get("redirect").filter(|v| *v != "page") {
        return Err(StepError::BadArgument(format!(
            "redirect {other:?}: use page"
        )));
    }
    let hint = session.tokens.get("id_token").ok_or_else(|| {
        StepError::MissingState("no login to end: the session holds no ID token".into())
    })?;
    let back = session
        .profile
        .post_logout_redirect_uri
        .as_deref()
        .ok_or_else(|| StepError::Profile("no post_logout_redirect_uri".into()))?;
    let mut url = url::Url::parse(endpoint_url(rp, session, AsEndpoint::EndSession)?)
        .map_err(|e| StepError::MissingState(format!("end_session_endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("id_token_hint", hint)
        .append_pair("client_id", &session.profile.client_id)
        .append_pair("post_logout_redirect_uri", back)
        .append_pair("state", &random::token(24));
    HttpRequest::new("GET", url.as_str(), [("accept", "text/html")], "")
        .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// §3: the OP sends the user agent back to exactly the URI sent, with the
/// state sent; anything else did not come from this logout.
pub fn verify(pending: &Pending, response: &HttpResponse, parsed: &mut Parsed) {
    // `redirect=page`: the client is one anyone could have registered, its
    // post-logout URI the registrant's choice; the OP must not turn its own
    // address into a redirect there (RFC 9700 §4.11.2, RP-Initiated Logout
    // §3), and a page is the answer expected.
    if pending.args.get("redirect").map(String::as_str) == Some("page") {
        let location = response.location.as_deref().unwrap_or_default();
        let redirected = (300..400).contains(&response.status) || !location.is_empty();
        parsed.must(
            CheckId::EndSessionNoRedirect,
            "no redirect to a URI a self-registered client chose: a page for the user",
            !redirected,
            if redirected {
                format!("{} {location}", response.status)
            } else {
                format!("{}, a page", response.status)
            },
            "RFC 9700 §4.11.2, OIDC RP-Initiated Logout §3",
        );
        parsed.parsed = serde_json::json!({ "logged_out": "a page for the user" });
        return;
    }
    // §2: the OP SHOULD ask the user whether to log out, and (§3) does not
    // redirect at all without an ID token hint: a page is a lawful answer,
    // with nothing yet to check.
    if response.status == 200 {
        parsed.info(
            CheckId::EndSessionRedirect,
            "the OP redirects the user agent back",
            "a page instead: the OP asks the user, or does not redirect",
            "OIDC RP-Initiated Logout §2, §3",
        );
        parsed.parsed = serde_json::json!({ "logged_out": "a page for the user" });
        return;
    }
    let location = response.location.as_deref().unwrap_or_default();
    let redirected = matches!(response.status, 302 | 303) && !location.is_empty();
    if !parsed.must(
        CheckId::EndSessionRedirect,
        "the OP redirects the user agent back",
        redirected,
        format!("{} {location}", response.status),
        "OIDC RP-Initiated Logout §3",
    ) {
        return;
    }
    let sent_uri = pending.params.get("post_logout_redirect_uri").unwrap_or("");
    let (back_to, state) = split_state(location);
    let expected = url::Url::parse(sent_uri).ok();
    parsed.must(
        CheckId::EndSessionRedirectUri,
        "back to exactly the post_logout_redirect_uri sent",
        back_to.is_some() && back_to == expected,
        location.to_owned(),
        "OIDC RP-Initiated Logout §3",
    );
    let sent_state = pending.params.get("state");
    parsed.must(
        CheckId::EndSessionState,
        "state is the one sent",
        state.is_some() && state.as_deref() == sent_state,
        if state.is_some() {
            "returned"
        } else {
            "missing"
        },
        "OIDC RP-Initiated Logout §2, §3",
    );
    parsed.parsed = serde_json::json!({
        "logged_out": true,
        "post_logout_redirect_uri": sent_uri,
    });
}

/// The redirect without its `state`, and the state (once; twice is none).
fn split_state(location: &str) -> (Option<url::Url>, Option<String>) {
    let Ok(mut url) = url::Url::parse(location) else {
        return (None, None);
    };
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let states: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v)
        .collect();
    let state = match states.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    };
    let rest: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "state").collect();
    if rest.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut()
            .clear()
            .extend_pairs(rest.iter().map(|(k, v)| (k, v)));
    }
    (Some(url), state)
}
