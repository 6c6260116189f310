//! Discovering the AS: Authorization Server Metadata (RFC 8414).
use oauth_core::discovery::well_known_url;
use oauth_core::http::HttpRequest;
use serde_json::Value;

use super::{Parsed, StepError};
use crate::RelyingParty;
use crate::session::Session;

/// RFC 8414 §3.1: `GET` the well-known URL derived from the issuer.
pub fn request(rp: &RelyingParty) -> Result<HttpRequest, StepError> {
    let url = well_known_url(&rp.config.issuer, "oauth-authorization-server")
        .map_err(|e| StepError::BadArgument(format!("issuer: {e}")))?;
    HttpRequest::new("GET", url.as_str(), [("Accept", "application/json")], "")
        .map_err(|e| StepError::BadArgument(e.to_string()))
}

/// RFC 8414 §3.3: the `issuer` must be exactly the one the RP asked about,
/// or an attacker's metadata could impersonate the AS.
pub fn verify(rp: &RelyingParty, session: &mut Session, body: Value, parsed: &mut Parsed) {
    let issuer = body.get("issuer").and_then(Value::as_str).unwrap_or("");
    let issuer_ok = parsed.check(
        "issuer is the one asked about",
        issuer == rp.config.issuer,
        format!("{issuer:?}, expected {:?}", rp.config.issuer),
        "RFC 8414 §3.3",
    );
    let members = [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
    ];
    for member in members
        .into_iter()
        .filter(|m| *m == "token_endpoint" || body.get(*m).is_some())
    {
        let value = body.get(member).and_then(Value::as_str);
        let https = value
            .and_then(|v| url::Url::parse(v).ok())
            .is_some_and(|u| u.scheme() == "https" || u.host_str() == Some("127.0.0.1"));
        parsed.check(
            format!("{member} is an https URL"),
            https,
            value.unwrap_or("missing").to_owned(),
            "RFC 8414 §2",
        );
    }
    if issuer_ok {
        session.metadata = Some(body);
    }
}
