//! JWT-Secured Authorization Requests (RFC 9101): the authorization
//! parameters inside a request object signed by the client.
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;
use oauth_core::jose::{self, JwsAlgorithm};
use serde_json::Value;

use crate::AuthServer;
use crate::config::{CLIENT_JWT_ALGS, Client};

/// Longest lifetime accepted on a request object, seconds (RFC 9101 §10.2:
/// request objects are short-lived).
const MAX_LIFETIME: i64 = 3600;

/// `typ` values accepted (RFC 9101 §4: `oauth-authz-req+jwt`, or the
/// generic `JWT` older clients send).
const TYPES: [&str; 2] = ["oauth-authz-req+jwt", "JWT"];

fn refused(why: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestObject, why)
}

/// Verifies a request object (RFC 9101 §6.1-§6.3) and returns the
/// authorization parameters it carries — the only ones that count.
pub fn expand(
    server: &AuthServer,
    client: &Client,
    object: &str,
    outer_client_id: &str,
) -> Result<Params, OAuthError> {
    let header = jose::decode_unverified(object)
        .map_err(|e| refused(format!("the request object is not a JWS: {e}")))?
        .header;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg.eq_ignore_ascii_case("none") || alg.is_empty() {
        return Err(refused("unsigned request objects (alg none) are refused"));
    }
    let allowed: Vec<JwsAlgorithm> = match client.request_object_alg {
        Some(registered) => vec![registered],
        None => CLIENT_JWT_ALGS.to_vec(),
    };
    if let Some(typ) = header.get("typ").and_then(Value::as_str)
        && !TYPES.iter().any(|t| t.eq_ignore_ascii_case(typ))
    {
        return Err(refused(format!("typ {typ:?} is not a request object type")));
    }
    let jwks = client.jwks.as_ref().ok_or_else(|| {
        refused("the client has registered no keys to verify its request objects")
    })?;
    let verified = jose::verify(object, jwks, &allowed)
        .map_err(|e| refused(format!("the request object: {e}")))?;
    let claims = verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client.client_id.as_str()) {
        return Err(refused("iss must be the client_id"));
    }
    // RFC 9101 §10.2 (and RFC 7519 §4.1.3-§4.1.5): aud this server's
    // issuer, unexpired, at most MAX_LIFETIME ahead, not valid before nbf.
    oauth_core::claims::verify(
        &claims,
        &oauth_core::claims::Expected {
            issuer: None,
            audiences: &[server.config.issuer.as_str()],
            now: server.clock.now(),
            leeway: server.config.client_authentication.leeway,
            require_exp: true,
            max_lifetime: Some(MAX_LIFETIME),
        },
    )
    .map_err(|e| refused(format!("the request object: {e}")))?;
    // RFC 9101 §6.3: the client_id outside must be the one inside.
    match text("client_id") {
        Some(inner) if inner == outer_client_id => {}
        Some(_) => {
            return Err(refused(
                "client_id inside the request object differs from the one outside",
            ));
        }
        None => return Err(refused("the request object carries no client_id")),
    }
    let mut pairs = Vec::new();
    for (name, value) in claims {
        if matches!(name.as_str(), "iss" | "aud" | "exp" | "nbf" | "iat" | "jti") {
            continue;
        }
        if name == "request" || name == "request_uri" {
            return Err(refused(format!("a request object may not contain {name}")));
        }
        let value = match value {
            Value::String(s) => s,
            Value::Null => continue,
            // e.g. `claims` (OIDC Core §5.5) or `max_age`: kept as JSON text.
            other => other.to_string(),
        };
        pairs.push((name, value));
    }
    Ok(Params::from_pairs(pairs))
}
