//! The authorization response as a JWT (JARM, JWT Secured Authorization
//! Response Mode for OAuth 2.0): the response parameters arrive as the
//! claims of one JWS, `response`. Nothing in it is used before it is
//! verified (JARM §2.4): the signature with the AS's keys and the
//! algorithm the client expects, then `iss`, `aud` and `exp`, each its own
//! check. Its parameters then go through the checks of any authorization
//! response (state, code, ...).
use oauth_core::claims::Expected;
use oauth_core::form::Params;
use oauth_core::jose::{self, JwsAlgorithm};
use serde_json::{Map, Value};

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::claim_checks::{claim_holds, times};
use crate::service::outcome::{Parsed, SeenJwt};
use crate::session::Session;

/// The parameters inside the response JWT of `outer`, once it verified;
/// `None` if it is missing or fails any check.
pub(crate) fn unwrap(
    rp: &RelyingParty,
    session: &Session,
    outer: &Params,
    parsed: &mut Parsed,
) -> Option<Params> {
    let Some(token) = outer.get("response") else {
        // The AS answered without the JWT asked for: the parameters it sent
        // in the clear are not signed, so they are not taken (a downgrade).
        let names: Vec<&str> = outer.iter().map(|(k, _)| k).collect();
        parsed.must(
            CheckId::JarmResponse,
            "the response JWT is there",
            false,
            format!("no response parameter; got {}", names.join(", ")),
            "JARM §2.3",
        );
        parsed.parsed = outer.to_json();
        return None;
    };
    let decoded = match jose::decode_unverified(token) {
        Ok(d) => d,
        Err(e) => {
            parsed.must(
                CheckId::JarmJws,
                "the response is a JWS",
                false,
                e.to_string(),
                "JARM §2.1",
            );
            return None;
        }
    };
    let mut seen = SeenJwt::decoded("response", token, &decoded, "not verified");
    let claims = verified_claims(rp, session, token, &decoded.header, &mut seen, parsed);
    let verified = claims.is_some();
    seen.verified = verified;
    parsed.jwts.push(seen);
    let claims = claims?;
    // The parameters are the string claims; aud and exp belong to the JWT.
    let params = Params::from_pairs(claims.iter().filter_map(|(name, value)| {
        let value = value.as_str()?;
        (name != "aud").then(|| (name.clone(), value.to_owned()))
    }));
    Some(params)
}

/// JARM §2.4: the signature, then iss, aud and exp; the claims only if all
/// of them passed.
fn verified_claims(
    rp: &RelyingParty,
    session: &Session,
    token: &str,
    header: &Value,
    seen: &mut SeenJwt,
    parsed: &mut Parsed,
) -> Option<Map<String, Value>> {
    let expected = session.profile.authorization_signed_response_alg.as_str();
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    let alg_ok = parsed.must(
        CheckId::JarmAlg,
        "alg is the one the client expects",
        alg == expected,
        format!("{alg:?}, expected {expected:?}"),
        "JARM §3, RFC 8725 §3.1",
    );
    let allowed: Vec<JwsAlgorithm> = expected.parse().into_iter().collect();
    let verified = match &session.jwks {
        None => Err("the session holds no AS keys: run the jwks step first".to_owned()),
        Some(jwks) => jose::verify(token, jwks, &allowed).map_err(|e| e.to_string()),
    };
    let verified = match verified {
        Ok(v) => v,
        Err(why) => {
            parsed.must(
                CheckId::JarmSignature,
                "signature verifies with the AS's key",
                false,
                why.clone(),
                "JARM §2.4 (6)",
            );
            seen.verification = format!("verification failed: {why}");
            return None;
        }
    };
    let kid = verified.kid.clone().unwrap_or_else(|| "(no kid)".into());
    parsed.must(
        CheckId::JarmSignature,
        "signature verifies with the AS's key",
        true,
        format!("{} with key {kid}", jose::alg_name(verified.alg)),
        "JARM §2.4 (6)",
    );
    seen.verification = format!(
        "signature verified: {}, AS key {kid}",
        jose::alg_name(verified.alg)
    );
    let claims = verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    let now = rp.clock.now();
    let exact = times(now, 0);
    let issuer = crate::service::client_auth::issuer(rp, session);
    let iss_ok = parsed.must(
        CheckId::JarmIss,
        "iss is the AS asked",
        claim_holds(
            &claims,
            "iss",
            &Expected {
                issuer: Some(issuer),
                ..exact.clone()
            },
        ),
        format!("{:?}", text("iss")),
        "JARM §2.4 (3)",
    );
    let client_id = session.profile.client_id.as_str();
    let aud_ok = parsed.must(
        CheckId::JarmAud,
        "aud is this client",
        claims
            .get("aud")
            .is_some_and(|a| a.is_string() || a.is_array())
            && claim_holds(
                &claims,
                "aud",
                &Expected {
                    audiences: &[client_id],
                    ..exact.clone()
                },
            ),
        claims
            .get("aud")
            .map_or_else(|| "missing".to_owned(), Value::to_string),
        "JARM §2.4 (4)",
    );
    let exp_ok = parsed.must(
        CheckId::JarmExp,
        "exp has not passed",
        claim_holds(
            &claims,
            "exp",
            &Expected {
                require_exp: true,
                ..exact
            },
        ),
        match claims.get("exp").and_then(Value::as_i64) {
            Some(exp) if exp > now => format!("expires in {} s", exp - now),
            Some(exp) => format!("expired {} s ago", now - exp),
            None => "missing or not a number".to_owned(),
        },
        "JARM §2.4 (5)",
    );
    (alg_ok && iss_ok && aud_ok && exp_ok).then_some(claims)
}
