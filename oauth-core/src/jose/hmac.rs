//! HMAC JWTs (RFC 7518 §3.2) for client_secret_jwt only (OIDC Core §9):
//! the key is a client secret both sides hold. Nowhere else does this
//! project accept an HMAC JWT — a public key is never a MAC key.
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Map, Value};

use super::{JoseError, Verified, decode_unverified};

/// RFC 7518 §3.2: a key at least as long as the hash output.
const MIN_KEY_BYTES: usize = 32;

/// MACs `claims` with HS256 under `secret` (`typ: JWT`).
pub fn mac_hs256(secret: &[u8], claims: &Value) -> Result<String, JoseError> {
    if secret.len() < MIN_KEY_BYTES {
        return Err(JoseError::BadKey(format!(
            "an HS256 key must be at least {MIN_KEY_BYTES} bytes (RFC 7518 §3.2)"
        )));
    }
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("JWT".into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret))
        .map_err(|e| JoseError::Signing(e.to_string()))
}

/// Verifies an HS256 JWT under `secret` (compared in constant time by the
/// MAC check); any other `alg`, and a `crit` header, are refused. Claims
/// are the caller's to check.
pub fn verify_hs256(compact: &str, secret: &[u8]) -> Result<Verified, JoseError> {
    let unverified = decode_unverified(compact)?;
    let alg = unverified
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("");
    if alg != "HS256" {
        return Err(JoseError::AlgorithmNotAllowed(alg.to_owned()));
    }
    if let Some(crit) = unverified.header.get("crit") {
        return Err(JoseError::Malformed(format!(
            "crit {crit}: no critical header extension is understood here"
        )));
    }
    if secret.len() < MIN_KEY_BYTES {
        return Err(JoseError::BadKey(format!(
            "the secret is shorter than {MIN_KEY_BYTES} bytes, too short for HS256 (RFC 7518 §3.2)"
        )));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Map<String, Value>>(
        compact,
        &DecodingKey::from_secret(secret),
        &validation,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => JoseError::BadSignature,
        _ => JoseError::Malformed(e.to_string()),
    })?;
    let kid = unverified
        .header
        .get("kid")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Verified {
        header: unverified.header,
        claims: data.claims,
        kid,
        alg: Algorithm::HS256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a client secret of thirty-two bytes or more";

    #[test]
    fn an_hs256_jwt_verifies_under_its_secret_only() {
        let jwt = mac_hs256(SECRET, &serde_json::json!({"sub": "c"})).unwrap();
        assert_eq!(verify_hs256(&jwt, SECRET).unwrap().claims["sub"], "c");
        assert_eq!(
            verify_hs256(&jwt, b"another secret of thirty-two bytes, or more").unwrap_err(),
            JoseError::BadSignature
        );
    }

    /// RFC 7518 §3.2: a key shorter than the hash output is refused.
    #[test]
    fn a_short_secret_is_refused() {
        assert!(matches!(
            mac_hs256(b"short", &serde_json::json!({})),
            Err(JoseError::BadKey(_))
        ));
    }

    #[test]
    fn another_algorithm_is_refused() {
        let key = crate::jose::SigningKey::generate(Algorithm::ES256).unwrap();
        let jwt = key.sign("JWT", &serde_json::json!({})).unwrap();
        assert!(matches!(
            verify_hs256(&jwt, SECRET),
            Err(JoseError::AlgorithmNotAllowed(_))
        ));
    }
}
