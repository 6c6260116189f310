//! The UserInfo request (OIDC Core §5.3.1) with the access token as a
//! Bearer token — in the Authorization header of a GET or a POST (RFC 6750
//! §2.1), or in a POST's form body (§2.2) — and the response's checks
//! (§5.3.2, the claims of the scopes asked for, §5.4).
use std::collections::BTreeMap;

use oauth_core::http::HttpRequest;
use serde_json::Value;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::{arg, endpoint_url};
use crate::service::outcome::{Parsed, StepError};
use crate::service::registry::AsEndpoint;
use crate::service::variation::{Variation, Variations};
use crate::session::Session;

/// How the access token reaches the UserInfo endpoint (`method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// GET, the token in the Authorization header (the default; OIDC Core
    /// §5.3.1 recommends it).
    Get,
    /// POST, the token in the Authorization header (RFC 6750 §2.1).
    PostHeader,
    /// POST, the token in the form body (RFC 6750 §2.2).
    PostBody,
}

fn method(args: &BTreeMap<String, String>) -> Result<Method, StepError> {
    match arg(args, "method") {
        None | Some("get") => Ok(Method::Get),
        Some("post_header") => Ok(Method::PostHeader),
        Some("post_body") => Ok(Method::PostBody),
        Some(other) => Err(StepError::BadArgument(format!(
            "method {other:?}: use get, post_header or post_body"
        ))),
    }
}

pub fn request(
    rp: &RelyingParty,
    session: &Session,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    let method = method(args)?;
    if let Some(scopes) = arg(args, "expect_claims")
        && let Some(unknown) = scopes
            .split(' ')
            .find(|s| !s.is_empty() && oauth_core::oidc::scope_claims(s).is_empty())
    {
        return Err(StepError::BadArgument(format!(
            "expect_claims {unknown:?}: name scopes of OIDC Core §5.4 (profile, email, address, phone)"
        )));
    }
    let http_method = if method == Method::Get { "GET" } else { "POST" };
    let token = session
        .tokens
        .get("access_token")
        .ok_or_else(|| StepError::MissingState("the session holds no access token".into()))?;
    let url = match vary.request_url() {
        None => endpoint_url(rp, session, AsEndpoint::Userinfo)?,
        Some(other) => other,
    };
    let dpop = session
        .access_token_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("dpop"))
        && !vary.has(&Variation::BearerForDpopToken);
    let mut headers = vec![("Accept", "application/json".to_owned())];
    let mut body = String::new();
    match (&session.dpop_key, dpop) {
        // RFC 9449 §7.1: a DPoP-bound token travels in its own scheme.
        (_, true) if method == Method::PostBody => {
            return Err(StepError::BadArgument(
                "method post_body: a DPoP-bound token goes in the Authorization header (RFC 9449 §7.1)"
                    .into(),
            ));
        }
        // RFC 9449 §7.1: the DPoP scheme, and a proof naming the token (ath).
        (Some(key), true) => {
            let parsed_url =
                url::Url::parse(url).map_err(|e| StepError::BadArgument(e.to_string()))?;
            let proof = oauth_core::dpop::proof(
                key,
                http_method,
                &parsed_url,
                rp.clock.now(),
                Some(token),
                session.dpop_nonce.as_deref(),
            )
            .map_err(|e| StepError::BadArgument(format!("DPoP proof: {e}")))?;
            headers.push(("Authorization", format!("DPoP {token}")));
            headers.push(("DPoP", proof));
        }
        (None, true) => {
            return Err(StepError::MissingState(
                "a DPoP-bound token but no DPoP key".into(),
            ));
        }
        // RFC 6750 §2.2: the form body, its only parameter the token.
        _ if method == Method::PostBody => {
            headers.push((
                "Content-Type",
                "application/x-www-form-urlencoded".to_owned(),
            ));
            body = oauth_core::form::encode([("access_token", token.as_str())]);
        }
        _ => headers.push(("Authorization", format!("Bearer {token}"))),
    }
    HttpRequest::new(
        http_method,
        url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        &body,
    )
    .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// OIDC Core §5.3.2: the `sub` must be the ID token's, or the response is
/// about someone else and must not be used.
pub fn verify(
    session: &Session,
    pending: &crate::session::Pending,
    body: Value,
    parsed: &mut Parsed,
) {
    // `withheld=NAMES`: claims the OP must not release (an attack story
    // asks for claims beyond the client's scopes, OIDC Core §5.4, §5.5).
    if let Some(names) = pending.args.get("withheld").filter(|n| !n.is_empty()) {
        let released: Vec<&str> = names
            .split(' ')
            .filter(|n| !n.is_empty() && body.get(*n).is_some())
            .collect();
        parsed.must(
            CheckId::UserinfoWithheld,
            "claims beyond the client's scopes withheld",
            released.is_empty(),
            if released.is_empty() {
                format!("none of {names} released")
            } else {
                format!("released {}", released.join(", "))
            },
            "OIDC Core §5.4, §5.5",
        );
    }
    let sub = body.get("sub").and_then(Value::as_str).unwrap_or("");
    match session.identity.as_ref().map(|i| i.sub.as_str()) {
        Some(expected) => {
            parsed.must(
                CheckId::UserinfoSub,
                "sub is the ID token's sub",
                sub == expected,
                format!("{sub:?}"),
                "OIDC Core §5.3.2",
            );
        }
        None => {
            parsed.must(
                CheckId::UserinfoSub,
                "sub is the ID token's sub",
                false,
                "no verified ID token in this session to compare with",
                "OIDC Core §5.3.2",
            );
        }
    }
    let sent = session.authorization.as_ref();
    check_scope_claims(
        pending.args.get("expect_claims").map(String::as_str),
        &body,
        parsed,
    );
    // OIDC Core §5.2: claims in the languages asked for carry a language
    // tag (`name#sv`); a preference the OP may not meet.
    if let Some(locales) = sent.and_then(|a| a.claims_locales.as_deref()) {
        let tagged: Vec<&str> = body
            .as_object()
            .map(|m| {
                m.keys()
                    .filter(|k| k.contains('#'))
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default();
        parsed.info(
            CheckId::UserinfoClaimsLocales,
            "claims in the languages asked",
            if tagged.is_empty() {
                format!("asked {locales}; no claim carries a language tag (claims_locales is a preference)")
            } else {
                format!("asked {locales}; {}", tagged.join(", "))
            },
            "OIDC Core §5.2",
        );
    }
    crate::service::response::report_requested_claims(
        parsed,
        CheckId::UserinfoRequestedClaims,
        "claims requested for userinfo",
        session
            .authorization
            .as_ref()
            .and_then(|a| a.userinfo_claims.as_ref()),
        |c| body.get(c).is_some(),
    );
}

/// OIDC Core §5.4: the claims each scope in `expect` asks for come from
/// UserInfo — released when the OP holds them for this user, so a scope
/// of which none came is a warning, not a refusal; then the claims that
/// came, listed.
fn check_scope_claims(expect: Option<&str>, body: &Value, parsed: &mut Parsed) {
    let Some(scopes) = expect.filter(|s| !s.is_empty()) else {
        return;
    };
    for scope in scopes.split(' ').filter(|s| !s.is_empty()) {
        let claims = oauth_core::oidc::scope_claims(scope);
        let came: Vec<&str> = claims
            .iter()
            .copied()
            .filter(|c| body.get(*c).is_some())
            .collect();
        parsed.should(
            CheckId::UserinfoScopeClaims,
            format!("the claims of scope {scope} are released"),
            !came.is_empty(),
            if came.is_empty() {
                format!(
                    "none of {}: the OP holds none for this user, or withholds them",
                    claims.join(", ")
                )
            } else {
                format!("{} of {}: {}", came.len(), claims.len(), came.join(", "))
            },
            "OIDC Core §5.4",
        );
    }
    let names: Vec<&str> = body
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    parsed.info(
        CheckId::UserinfoClaims,
        "the claims that came",
        names.join(", "),
        "OIDC Core §5.3.2",
    );
}
