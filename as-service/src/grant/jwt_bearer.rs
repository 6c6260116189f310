//! JWT Bearer Grant (RFC 7523 §2.1, §3): a JWT from an issuer this server
//! trusts, about one of its users, exchanged for an access token. The
//! client authenticates as usual (§3.1); the assertion is the grant.
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use serde_json::Value;

use super::target::{Granted, decide};
use super::{Grant, client_scope};
use crate::AuthServer;
use crate::config::{Client, Endpoint};

/// RFC 7523 §3: signed by a trusted issuer's key, `aud` this server, `exp`
/// present (and not far ahead), `nbf`/`iat` not ahead, `sub` a user of this
/// server, a `jti` (when given) never seen before. Any failure is
/// `invalid_grant` (§3.1).
pub async fn grant(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Grant, OAuthError> {
    let assertion = params
        .get("assertion")
        .ok_or_else(|| OAuthError::invalid_request("assertion is missing"))?;
    let refuse = |why: String| OAuthError::invalid_grant(format!("the assertion: {why}"));
    let unverified =
        oauth_core::jose::decode_unverified(assertion).map_err(|e| refuse(e.to_string()))?;
    let issuer = unverified
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| refuse("it has no iss".into()))?;
    // §3 item 1: only the issuers configured, each with its own keys.
    let keys = server
        .config
        .jwt_bearer_issuers
        .get(issuer)
        .ok_or_else(|| refuse(format!("issuer {issuer:?} is not trusted here")))?;
    let verified = oauth_core::jose::verify(assertion, keys, &crate::config::CLIENT_JWT_ALGS)
        .map_err(|e| refuse(e.to_string()))?;
    let claims = &verified.claims;
    // §3 item 3: the audience identifies this server (issuer or token endpoint).
    let ours = [
        server.config.issuer.clone(),
        server.config.endpoints.url(Endpoint::Token).to_string(),
    ];
    let audiences = oauth_core::claims::audiences(claims);
    if !audiences.iter().any(|a| ours.contains(a)) {
        return Err(refuse(format!(
            "aud {audiences:?} does not name this server ({})",
            ours.join(" or ")
        )));
    }
    // §3 items 4-6, on this server's clock and leeway.
    let now = server.clock.now();
    crate::client_authn::assertion_times(server, claims, now).map_err(|e| refuse(e.to_string()))?;
    // §3 item 2: the principal, here one of this server's users.
    let user = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| refuse("it has no sub".into()))?;
    if !server.config.users.contains_key(user) {
        return Err(refuse(format!("sub {user:?} is not a user of this server")));
    }
    // §3 item 7: a jti, when given, is used once (remembered until exp).
    if let Some(jti) = claims.get("jti").and_then(Value::as_str) {
        use crate::client_authn::{JtiRefusal, MAX_JTI_LENGTH, use_jti_once};
        match use_jti_once(server, &format!("jwt-bearer\n{issuer}"), jti, claims, now).await {
            Ok(()) => {}
            Err(JtiRefusal::Length) => {
                return Err(refuse(format!(
                    "jti must be 1 to {MAX_JTI_LENGTH} characters"
                )));
            }
            Err(JtiRefusal::Replayed) => {
                return Err(refuse("it was already used (jti replay)".into()));
            }
            Err(JtiRefusal::Store(e)) => return Err(e.into()),
        }
    }
    // RFC 8707 §2.2, RFC 9396 §6: the token request alone names the target.
    let target = decide(server, client, params, Granted::TokenRequest)?;
    Ok(Grant::access_only(
        server.subject_for(client, user),
        client_scope(client, params)?,
        target,
    ))
}

#[cfg(test)]
mod tests;
