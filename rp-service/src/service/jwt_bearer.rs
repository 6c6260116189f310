//! The JWT bearer grant's assertion (RFC 7523 §2.1, §3): a JWT about a user
//! from an identity provider the AS trusts, for the AS's token endpoint.
//! The RP holds the configured provider's key to stand in for it; varied,
//! the assertion comes from an issuer the AS never heard of.
use oauth_core::jose::{JwsAlgorithm, SigningKey};
use serde_json::json;

use crate::RelyingParty;
use crate::service::outcome::StepError;
use crate::service::variation::Variations;

/// Lifetime of an assertion: long enough to cross the wire, no longer.
const LIFETIME: i64 = 120;

/// The assertion for `audience` (the token endpoint).
pub(crate) fn assertion(
    rp: &RelyingParty,
    audience: &str,
    vary: &Variations,
) -> Result<String, StepError> {
    let idp = rp.config.assertion_issuer.as_ref().ok_or_else(|| {
        StepError::Profile("no assertion_issuer is configured for the jwt_bearer service".into())
    })?;
    let now = rp.clock.now();
    let (issuer, key) = match vary.untrusted_assertion_issuer() {
        None => (
            idp.issuer.clone(),
            SigningKey::from_private_jwk(idp.key.clone())
                .map_err(|e| StepError::Profile(format!("assertion_issuer key: {e}")))?,
        ),
        // RFC 7523 §3 item 1: an issuer the AS has no keys for.
        Some(other) => (
            other.to_owned(),
            SigningKey::generate(JwsAlgorithm::ES256)
                .map_err(|e| StepError::Profile(format!("a key of its own: {e}")))?,
        ),
    };
    let claims = json!({
        "iss": issuer,
        "sub": idp.subject,
        "aud": audience,
        "iat": now,
        "exp": now + LIFETIME,
        "jti": oauth_core::random::token(16),
    });
    key.sign("JWT", &claims)
        .map_err(|e| StepError::Profile(format!("signing the assertion: {e}")))
}
