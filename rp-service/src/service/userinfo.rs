//! The UserInfo request (OIDC Core §5.3.1) with the access token as a
//! Bearer token (RFC 6750 §2.1), and the response's checks (§5.3.2).
use oauth_core::http::HttpRequest;
use serde_json::Value;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::endpoint_url;
use crate::service::outcome::{Parsed, StepError};
use crate::service::registry::AsEndpoint;
use crate::service::variation::{Variation, Variations};
use crate::session::Session;

pub fn request(
    rp: &RelyingParty,
    session: &Session,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
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
    match (&session.dpop_key, dpop) {
        // RFC 9449 §7.1: the DPoP scheme, and a proof naming the token (ath).
        (Some(key), true) => {
            let parsed_url =
                url::Url::parse(url).map_err(|e| StepError::BadArgument(e.to_string()))?;
            let proof = oauth_core::dpop::proof(
                key,
                "GET",
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
        _ => headers.push(("Authorization", format!("Bearer {token}"))),
    }
    HttpRequest::new(
        "GET",
        url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        "",
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
