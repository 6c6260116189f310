//! The authorization request (RFC 6749 §4.1.1) with `state` and PKCE
//! (RFC 7636 §4.1-4.3), and its response, read from the redirect: state
//! (RFC 6749 §4.1.2, RFC 9700 §4.7), `iss` (RFC 9207 §2.4) and the code.
use std::collections::BTreeMap;

use oauth_core::form;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::oidc::ClaimsRequest;
use oauth_core::pkce;
use oauth_core::random;
use serde_json::Value;
use url::Url;

use super::{AsEndpoint, Parsed, StepError, arg, endpoint_url, id_token, record_error};
use crate::RelyingParty;
use crate::session::{AuthorizationState, Session};

pub fn request(
    rp: &RelyingParty,
    session: &mut Session,
    args: &BTreeMap<String, String>,
) -> Result<HttpRequest, StepError> {
    let profile = &session.profile;
    let redirect_uri = arg(args, "redirect_uri")
        .or(profile.redirect_uri.as_deref())
        .ok_or_else(|| StepError::Profile("no redirect_uri configured".into()))?
        .to_owned();
    let scope = arg(args, "scope")
        .or(profile.scope.as_deref())
        .map(str::to_owned);
    let use_pkce = match arg(args, "pkce") {
        None => profile.pkce,
        Some("S256") => true,
        Some("none") => false,
        Some(other) => {
            return Err(StepError::BadArgument(format!(
                "pkce {other:?}: use S256 or none"
            )));
        }
    };
    let response_type = arg(args, "response_type").unwrap_or("code").to_owned();
    let claims = match arg(args, "claims") {
        Some(text) => Some(
            ClaimsRequest::parse(text)
                .map_err(|e| StepError::BadArgument(format!("claims: {e}")))?,
        ),
        None => None,
    };
    let openid = scope
        .as_deref()
        .is_some_and(|s| s.split(' ').any(|t| t == "openid"));
    let state = random::token(32);
    // OIDC Core §3.1.2.1: a nonce binds the ID token to this request.
    let nonce = openid.then(|| random::token(24));
    let code_verifier = use_pkce.then(pkce::new_verifier);
    let mut url = Url::parse(endpoint_url(rp, session, AsEndpoint::Authorization)?)
        .map_err(|e| StepError::BadArgument(format!("authorization endpoint: {e}")))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("response_type", &response_type);
        query.append_pair("client_id", &profile.client_id);
        query.append_pair("redirect_uri", &redirect_uri);
        if let Some(scope) = &scope {
            query.append_pair("scope", scope);
        }
        query.append_pair("state", &state);
        if let Some(nonce) = &nonce {
            query.append_pair("nonce", nonce);
        }
        if let Some(claims) = &claims {
            query.append_pair("claims", &claims.to_json().to_string());
        }
        if let Some(verifier) = &code_verifier {
            query.append_pair(
                "code_challenge",
                &pkce::challenge(verifier, pkce::Method::S256),
            );
            query.append_pair("code_challenge_method", "S256");
        }
    }
    let request = HttpRequest::new("GET", url.as_str(), [], "")
        .map_err(|e| StepError::BadArgument(e.to_string()))?;
    session.authorization = Some(AuthorizationState {
        state,
        redirect_uri,
        scope,
        code_verifier,
        nonce,
        response_type,
        id_token_claims: claims
            .as_ref()
            .map(|c| c.id_token.keys().cloned().collect()),
        userinfo_claims: claims
            .as_ref()
            .map(|c| c.userinfo.keys().cloned().collect()),
    });
    session.id_token_claims = None;
    session.code = None;
    Ok(request)
}

/// Reads the authorization response out of the redirect location.
pub fn verify(
    rp: &RelyingParty,
    session: &mut Session,
    response: &HttpResponse,
    parsed: &mut Parsed,
) {
    let Some(sent) = session.authorization.clone() else {
        parsed.check(
            "an authorization request is in flight",
            false,
            "none",
            "RFC 6749 §4.1.2",
        );
        return;
    };
    if !matches!(response.status, 302 | 303) {
        // Errors about the client or redirect URI come back to the caller,
        // not by redirect (RFC 6749 §4.1.2.1).
        let body = serde_json::from_str(&response.body).ok();
        record_error(response, body, parsed);
        return;
    }
    let location = response
        .location
        .as_deref()
        .or_else(|| response.headers.get("location").map(String::as_str))
        .unwrap_or("");
    let Ok(url) = Url::parse(location) else {
        parsed.check(
            "the redirect has a location",
            false,
            format!("{location:?}"),
            "RFC 6749 §4.1.2",
        );
        return;
    };
    let mut target = url.clone();
    target.set_query(None);
    target.set_fragment(None);
    let mut registered = Url::parse(&sent.redirect_uri).ok();
    if let Some(r) = registered.as_mut() {
        r.set_query(None);
    }
    parsed.check(
        "the redirect goes to our redirect_uri",
        registered.as_ref() == Some(&target),
        target.to_string(),
        "RFC 6749 §3.1.2",
    );
    // Responses carrying an ID token come in the fragment (Multiple
    // Response Types §5); a code alone in the query.
    let in_fragment = sent.response_type.split(' ').any(|t| t == "id_token");
    let source = if in_fragment {
        url.fragment()
    } else {
        url.query()
    };
    let params = match form::parse(source.unwrap_or("")) {
        Ok(p) => p,
        Err(e) => {
            parsed.check(
                "the response parameters parse",
                false,
                e.to_string(),
                "RFC 6749 §4.1.2",
            );
            return;
        }
    };
    parsed.parsed = params.to_json();
    let state = params.get("state").unwrap_or("");
    let state_ok = parsed.check(
        "state is the one sent",
        state == sent.state,
        if state == sent.state {
            "matches".to_owned()
        } else {
            format!("got {state:?}")
        },
        "RFC 6749 §4.1.2, RFC 9700 §4.7.1",
    );
    let issuer = session
        .metadata
        .as_ref()
        .and_then(|m| m.get("issuer"))
        .and_then(Value::as_str)
        .unwrap_or(&rp.config.issuer)
        .to_owned();
    let iss_required = session
        .metadata
        .as_ref()
        .and_then(|m| m.get("authorization_response_iss_parameter_supported"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let iss_ok = match params.get("iss") {
        Some(iss) => parsed.check(
            "iss is the AS asked",
            iss == issuer,
            format!("{iss:?}"),
            "RFC 9207 §2.4",
        ),
        None => parsed.check(
            "iss is the AS asked",
            !iss_required,
            if iss_required {
                "missing, though the AS announces it"
            } else {
                "not sent"
            },
            "RFC 9207 §2.4",
        ),
    };
    if let Some(error) = params.get("error") {
        parsed.error = Some((
            error.to_owned(),
            params.get("error_description").unwrap_or("").to_owned(),
        ));
        return;
    }
    let wants_code = sent.response_type.split(' ').any(|t| t == "code");
    let code = params.get("code");
    if wants_code {
        parsed.check(
            "code is present",
            code.is_some(),
            if code.is_some() { "present" } else { "missing" },
            "RFC 6749 §4.1.2",
        );
    }
    if in_fragment {
        match params.get("id_token") {
            Some(token) => {
                let expect = id_token::Expect {
                    access_token: None,
                    code,
                };
                id_token::verify(rp, session, token, expect, parsed);
            }
            None => {
                parsed.check(
                    "id_token is present",
                    false,
                    "missing",
                    "OIDC Core §3.2.2.5",
                );
            }
        }
    }
    // A response that fails the state or iss check is not this session's
    // (CSRF, mix-up): its code is not kept.
    if state_ok && iss_ok && parsed.ok() {
        session.code = code.map(str::to_owned);
    }
}
