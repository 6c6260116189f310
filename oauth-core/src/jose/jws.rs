//! JWS compact serialization: decoding, and verification with a JWK set.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

/// A JWT's header and claims, decoded but not verified.
#[derive(Debug, Clone)]
pub struct Unverified {
    pub header: Value,
    pub claims: Value,
}

/// The largest JWS accepted anywhere, bytes: a JWT is small; a huge one is
/// an attempt to make the server decode and hash megabytes.
pub const MAX_JWS: usize = 16 * 1024;

/// Decodes a JWS compact serialization without checking its signature.
pub fn decode_unverified(compact: &str) -> Result<Unverified, JoseError> {
    let (header, claims) = parts(compact)?;
    Ok(Unverified {
        header: part("header", header)?,
        claims: part("claims", claims)?,
    })
}

/// The encoded header and claims of a compact JWS of a size accepted here.
fn parts(compact: &str) -> Result<(&str, &str), JoseError> {
    if compact.len() > MAX_JWS {
        return Err(JoseError::Malformed(format!("longer than {MAX_JWS} bytes")));
    }
    let mut parts = compact.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(claims), Some(_signature), None) => Ok((header, claims)),
        _ => Err(JoseError::Malformed(
            "expected three dot-separated parts".into(),
        )),
    }
}

/// One encoded part, as the JSON object it must be.
fn part(name: &str, encoded: &str) -> Result<Value, JoseError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| JoseError::Malformed(format!("the {name} is not base64url")))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|_| JoseError::Malformed(format!("the {name} is not JSON")))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(JoseError::Malformed(format!(
            "the {name} is not a JSON object"
        )))
    }
}

/// A JWT whose signature verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Value,
    pub claims: Map<String, Value>,
    pub kid: Option<String>,
    pub alg: Algorithm,
}

/// Verifies a JWS against a public JWK set: the `alg` must be in `allowed`,
/// the key is picked by `kid` (or is the only key of the right type), and
/// the key's type must fit the algorithm — so a public key can never be
/// used as an HMAC secret. Claims are not checked here: the caller checks
/// iss/aud/exp against its own clock.
pub fn verify(compact: &str, jwks: &JwkSet, allowed: &[Algorithm]) -> Result<Verified, JoseError> {
    // The header picks the key; the claims are read once, by the decoding
    // that checks the signature.
    let header = part("header", parts(compact)?.0)?;
    let alg_text = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| JoseError::Malformed("the header has no alg".into()))?;
    let alg: Algorithm = alg_text
        .parse()
        .map_err(|_| JoseError::AlgorithmNotAllowed(alg_text.to_owned()))?;
    if !allowed.contains(&alg) {
        return Err(JoseError::AlgorithmNotAllowed(alg_text.to_owned()));
    }
    // RFC 7515 §4.1.11: a JWS whose `crit` names an extension the recipient
    // does not understand MUST be rejected; this code understands none.
    if let Some(crit) = header.get("crit") {
        return Err(JoseError::Malformed(format!(
            "crit {crit}: no critical header extension is understood here"
        )));
    }
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    let jwk = pick_key(jwks, kid.as_deref(), alg)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| JoseError::BadKey(e.to_string()))?;
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Map<String, Value>>(compact, &key, &validation).map_err(
        |e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => JoseError::BadSignature,
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                JoseError::AlgorithmNotAllowed(alg_text.to_owned())
            }
            _ => JoseError::Malformed(e.to_string()),
        },
    )?;
    Ok(Verified {
        header,
        claims: data.claims,
        kid,
        alg,
    })
}

pub(super) fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::AlgorithmParameters as P;
    let family_ok = matches!(
        (&jwk.algorithm, alg),
        (P::EllipticCurve(_), Algorithm::ES256 | Algorithm::ES384)
            | (
                P::RSA(_),
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::PS384
                    | Algorithm::PS512,
            )
            | (P::OctetKeyPair(_), Algorithm::EdDSA)
    );
    let alg_ok = jwk
        .common
        .key_algorithm
        .is_none_or(|a| serde_json::to_value(a).ok() == serde_json::to_value(alg).ok());
    let use_ok = !matches!(
        jwk.common.public_key_use,
        Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
    );
    family_ok && alg_ok && use_ok
}

pub(super) fn pick_key<'a>(
    jwks: &'a JwkSet,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<&'a Jwk, JoseError> {
    match kid {
        Some(kid) => {
            let jwk = jwks
                .find(kid)
                .ok_or_else(|| JoseError::NoKey(format!("no key with kid {kid:?}")))?;
            if key_fits(jwk, alg) {
                Ok(jwk)
            } else {
                Err(JoseError::NoKey(format!(
                    "key {kid:?} cannot verify {}",
                    alg_name(alg)
                )))
            }
        }
        None => {
            let mut fitting = jwks.keys.iter().filter(|k| key_fits(k, alg));
            match (fitting.next(), fitting.next()) {
                (Some(k), None) => Ok(k),
                (None, _) => Err(JoseError::NoKey(format!("no key fits {}", alg_name(alg)))),
                (Some(_), Some(_)) => Err(JoseError::NoKey(
                    "the JWT names no kid and several keys fit".into(),
                )),
            }
        }
    }
}

/// Parses a public JWK set document.
pub fn parse_jwks(text: &str) -> Result<JwkSet, JoseError> {
    serde_json::from_str(text).map_err(|e| JoseError::BadKey(format!("not a JWK set: {e}")))
}
