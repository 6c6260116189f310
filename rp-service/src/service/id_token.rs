//! ID token validation (OIDC Core §3.1.3.7, with §3.2.2.11 and §3.3.2.12
//! for tokens from the authorization endpoint), every check shown.
use oauth_core::jose::{self, JwsAlgorithm};
use oauth_core::oidc;
use serde_json::{Map, Value};

use super::{Parsed, SeenJwt};
use crate::RelyingParty;
use crate::session::Session;

/// How far the OP's clock may run ahead of ours for `iat`, seconds.
const SKEW: i64 = 60;

/// What the ID token must be bound to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect<'a> {
    /// The access token issued with it: `at_hash`, if present, must match.
    pub access_token: Option<&'a str>,
    /// The code issued with it: `c_hash` must be present and match (hybrid).
    pub code: Option<&'a str>,
}

/// Validates an ID token; on success its claims are kept in the session
/// (UserInfo's `sub` is compared with them).
pub fn verify(
    rp: &RelyingParty,
    session: &mut Session,
    token: &str,
    expect: Expect<'_>,
    parsed: &mut Parsed,
) {
    let checks_before = parsed.checks.len();
    let decoded = match jose::decode_unverified(token) {
        Ok(d) => d,
        Err(e) => {
            parsed.check(
                "the ID token is a JWS",
                false,
                e.to_string(),
                "OIDC Core §2",
            );
            return;
        }
    };
    let mut seen = SeenJwt::decoded("id_token", token, &decoded, "not verified");
    let registered = session.profile.id_token_signed_response_alg.clone();
    let alg = decoded
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("");
    parsed.check(
        "alg is the one registered",
        alg == registered,
        format!("{alg:?}, registered {registered:?}"),
        "OIDC Core §3.1.3.7 (7)",
    );
    let allowed: Vec<JwsAlgorithm> = registered.parse().into_iter().collect();
    let claims = match &session.jwks {
        None => {
            parsed.check(
                "signature verifies with the OP's key",
                false,
                "the session holds no OP keys: run the jwks step first",
                "OIDC Core §3.1.3.7 (6)",
            );
            None
        }
        Some(jwks) => match jose::verify(token, jwks, &allowed) {
            Ok(v) => {
                let kid = v.kid.clone().unwrap_or_else(|| "(no kid)".into());
                parsed.check(
                    "signature verifies with the OP's key",
                    true,
                    format!("{} with key {kid}", jose::alg_name(v.alg)),
                    "OIDC Core §3.1.3.7 (6)",
                );
                seen.verification = format!(
                    "signature verified: {}, OP key {kid}",
                    jose::alg_name(v.alg)
                );
                Some(v.claims)
            }
            Err(e) => {
                parsed.check(
                    "signature verifies with the OP's key",
                    false,
                    e.to_string(),
                    "OIDC Core §3.1.3.7 (6)",
                );
                seen.verification = format!("verification failed: {e}");
                None
            }
        },
    };
    // The claims are checked even when the signature failed, so the
    // transcript shows everything wrong with the token.
    let claims: Map<String, Value> = claims.unwrap_or_else(|| match decoded.claims {
        Value::Object(m) => m,
        _ => Map::new(),
    });
    check_claims(rp, session, &claims, expect, alg, parsed);
    let all_ok = parsed.checks[checks_before..].iter().all(|c| c.ok);
    seen.verified = all_ok;
    parsed.jwts.push(seen);
    if all_ok {
        session.id_token_claims = Some(claims);
    }
}

fn check_claims(
    rp: &RelyingParty,
    session: &Session,
    claims: &Map<String, Value>,
    expect: Expect<'_>,
    alg: &str,
    parsed: &mut Parsed,
) {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let issuer = super::issuer(rp, session);
    parsed.check(
        "iss is the OP",
        text("iss") == Some(issuer),
        format!("{:?}", text("iss").unwrap_or("")),
        "OIDC Core §3.1.3.7 (2)",
    );
    let client_id = session.profile.client_id.as_str();
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    parsed.check(
        "aud contains this client",
        audiences.contains(&client_id),
        format!("{audiences:?}"),
        "OIDC Core §3.1.3.7 (3)",
    );
    let azp = text("azp");
    if audiences.len() > 1 || azp.is_some() {
        parsed.check(
            "azp is this client",
            azp == Some(client_id),
            format!("{:?}", azp.unwrap_or("missing")),
            "OIDC Core §3.1.3.7 (4, 5)",
        );
    }
    let now = rp.clock.now();
    let exp = claims.get("exp").and_then(Value::as_i64);
    parsed.check(
        "exp is in the future",
        exp.is_some_and(|e| e > now),
        exp.map_or("no exp".into(), |e| format!("expires in {} s", e - now)),
        "OIDC Core §3.1.3.7 (9)",
    );
    let iat = claims.get("iat").and_then(Value::as_i64);
    parsed.check(
        "iat is not in the future",
        iat.is_some_and(|i| i <= now + SKEW),
        iat.map_or("no iat".into(), |i| format!("issued {} s ago", now - i)),
        "OIDC Core §3.1.3.7 (10)",
    );
    parsed.check(
        "sub is present",
        text("sub").is_some_and(|s| !s.is_empty()),
        format!("{:?}", text("sub").unwrap_or("")),
        "OIDC Core §2",
    );
    let sent_nonce = session
        .authorization
        .as_ref()
        .and_then(|a| a.nonce.as_deref());
    match (sent_nonce, text("nonce")) {
        (Some(sent), got) => {
            parsed.check(
                "nonce is the one sent",
                got == Some(sent),
                match got {
                    Some(g) if g == sent => "matches".to_owned(),
                    Some(g) => format!("got {g:?}"),
                    None => "missing".to_owned(),
                },
                "OIDC Core §3.1.3.7 (11)",
            );
        }
        (None, Some(got)) => {
            parsed.check(
                "nonce is the one sent",
                false,
                format!("none sent, got {got:?}"),
                "OIDC Core §3.1.3.7 (11)",
            );
        }
        (None, None) => {}
    }
    let hash_alg: Option<JwsAlgorithm> = alg.parse().ok();
    let matches = |value: &str, claim: Option<&str>| {
        hash_alg.and_then(|a| oidc::left_hash(a, value)).as_deref() == claim && claim.is_some()
    };
    if let Some(token) = expect.access_token {
        match text("at_hash") {
            Some(at_hash) => {
                parsed.check(
                    "at_hash matches the access token",
                    matches(token, Some(at_hash)),
                    at_hash.to_owned(),
                    "OIDC Core §3.1.3.8",
                );
            }
            None => {
                parsed.check(
                    "at_hash",
                    true,
                    "absent (optional in the code flow)",
                    "OIDC Core §3.1.3.6",
                );
            }
        }
    }
    if let Some(code) = expect.code {
        let c_hash = text("c_hash");
        parsed.check(
            "c_hash matches the code",
            matches(code, c_hash),
            c_hash.unwrap_or("missing").to_owned(),
            "OIDC Core §3.3.2.10",
        );
    }
    super::report_requested_claims(
        parsed,
        "claims requested for the ID token",
        session
            .authorization
            .as_ref()
            .and_then(|a| a.id_token_claims.as_ref()),
        |c| claims.contains_key(c),
    );
    if let Some(acr) = text("acr") {
        parsed.check("acr is stated", true, acr.to_owned(), "OIDC Core §2");
    }
}
