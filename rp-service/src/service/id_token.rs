//! ID token validation (OIDC Core §3.1.3.7, with §3.2.2.11 and §3.3.2.12
//! for tokens from the authorization endpoint), every check shown.
use oauth_core::claims::Expected;
use oauth_core::jose::{self, JwsAlgorithm};
use oauth_core::oidc;
use serde_json::{Map, Value};

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::claim_checks::{check_nbf, claim_holds, times};
use crate::service::outcome::{Level, Parsed, SeenJwt};
use crate::session::{Identity, Session};

/// How far the OP's clock may run ahead of ours for `iat` and `nbf`, seconds.
const SKEW: i64 = 60;

/// What the ID token must be bound to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect<'a> {
    /// The access token issued with it: `at_hash`, if present, must match.
    pub access_token: Option<&'a str>,
    /// The code issued with it: `c_hash` must be present and match (hybrid).
    pub code: Option<&'a str>,
    /// It came from the authorization endpoint (implicit, hybrid): a nonce
    /// is REQUIRED (OIDC Core §3.2.2.11, §3.3.2.12).
    pub front_channel: bool,
    /// It came with a refresh: the identity of the original authentication
    /// it must repeat (OIDC Core §12.2), `None` if there was none.
    pub refresh_of: Option<Option<&'a Identity>>,
}

/// Validates an ID token, every check shown; returns who it identifies if
/// every check of the token passed. The caller stages that identity: it
/// reaches the session only if the whole response passed.
pub fn verify(
    rp: &RelyingParty,
    session: &Session,
    token: &str,
    expect: Expect<'_>,
    parsed: &mut Parsed,
) -> Option<Identity> {
    let checks_before = parsed.checks.len();
    let decoded = match jose::decode_unverified(token) {
        Ok(d) => d,
        Err(e) => {
            parsed.must(
                CheckId::IdTokenJws,
                "the ID token is a JWS",
                false,
                e.to_string(),
                "OIDC Core §2",
            );
            return None;
        }
    };
    let mut seen = SeenJwt::decoded("id_token", token, &decoded, "not verified");
    let registered = session.profile.id_token_signed_response_alg.clone();
    let alg = decoded
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("");
    parsed.should(
        CheckId::IdTokenAlg,
        "alg is the one registered",
        alg == registered,
        format!("{alg:?}, registered {registered:?}"),
        "OIDC Core §3.1.3.7 (7)",
    );
    // RFC 7515 §4.1.11: a recipient MUST reject a JWS whose `crit` lists an
    // extension it does not understand — and this RP understands none.
    let crit = decoded.header.get("crit");
    parsed.must(
        CheckId::IdTokenCrit,
        "no critical header extension the RP does not understand",
        crit.is_none(),
        match crit {
            None => "no crit header".to_owned(),
            Some(c) => format!("crit {c}: the RP understands no extension"),
        },
        "RFC 7515 §4.1.11",
    );
    let allowed: Vec<JwsAlgorithm> = registered.parse().into_iter().collect();
    let claims = match &session.jwks {
        None => {
            parsed.must(
                CheckId::IdTokenSignature,
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
                parsed.must(
                    CheckId::IdTokenSignature,
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
                parsed.must(
                    CheckId::IdTokenSignature,
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
    let identity = check_claims(rp, session, &claims, expect, alg, parsed);
    let all_ok = parsed.checks[checks_before..].iter().all(|c| c.ok);
    seen.verified = all_ok;
    parsed.jwts.push(seen);
    identity.filter(|_| all_ok)
}

fn check_claims(
    rp: &RelyingParty,
    session: &Session,
    claims: &Map<String, Value>,
    expect: Expect<'_>,
    alg: &str,
    parsed: &mut Parsed,
) -> Option<Identity> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let issuer = crate::service::client_auth::issuer(rp, session);
    let now = rp.clock.now();
    let exact = times(now, 0);
    parsed.must(
        CheckId::IdTokenIss,
        "iss is the OP",
        claim_holds(
            claims,
            "iss",
            &Expected {
                issuer: Some(issuer),
                ..exact.clone()
            },
        ),
        format!("{:?}", text("iss").unwrap_or("")),
        "OIDC Core §3.1.3.7 (2)",
    );
    let client_id = session.profile.client_id.as_str();
    // RFC 7519 §4.1.3: a StringOrURI, or an array of them — nothing else
    // (the shared verifier would skip a member that is not a string).
    let audiences: Option<Vec<&str>> = match claims.get("aud") {
        Some(Value::String(a)) => Some(vec![a.as_str()]),
        Some(Value::Array(a)) => a.iter().map(Value::as_str).collect(),
        _ => None,
    };
    let aud_list = audiences.clone().unwrap_or_default();
    parsed.must(
        CheckId::IdTokenAud,
        "aud contains this client",
        audiences.is_some()
            && claim_holds(
                claims,
                "aud",
                &Expected {
                    audiences: &[client_id],
                    ..exact.clone()
                },
            ),
        match &audiences {
            Some(a) => format!("{a:?}"),
            None => format!(
                "not a string or an array of strings: {}",
                claims.get("aud").map_or("missing".into(), Value::to_string)
            ),
        },
        "OIDC Core §3.1.3.7 (3)",
    );
    // The RP trusts no audience but itself: any other one is refused.
    let others: Vec<&str> = aud_list
        .iter()
        .copied()
        .filter(|a| *a != client_id)
        .collect();
    parsed.must(
        CheckId::IdTokenAudTrusted,
        "aud names no audience the client does not trust",
        others.is_empty(),
        if others.is_empty() {
            "only this client".to_owned()
        } else {
            format!("also {others:?}")
        },
        "OIDC Core §3.1.3.7 (3)",
    );
    let azp = text("azp");
    if aud_list.len() > 1 || azp.is_some() {
        parsed.should(
            CheckId::IdTokenAzp,
            "azp is this client",
            azp == Some(client_id),
            format!("{:?}", azp.unwrap_or("missing")),
            "OIDC Core §3.1.3.7 (4, 5)",
        );
    }
    let exp = claims.get("exp").and_then(Value::as_i64);
    parsed.must(
        CheckId::IdTokenExp,
        "exp is in the future",
        claim_holds(
            claims,
            "exp",
            &Expected {
                require_exp: true,
                ..exact
            },
        ),
        exp.map_or("no exp".into(), |e| format!("expires in {} s", e - now)),
        "OIDC Core §3.1.3.7 (9)",
    );
    let iat = claims.get("iat").and_then(Value::as_i64);
    // iat is REQUIRED (OIDC Core §2); rejecting one too far off is a MAY
    // (§3.1.3.7 (10)): a warning.
    parsed.check(
        if iat.is_some() {
            Level::Should
        } else {
            Level::Must
        },
        CheckId::IdTokenIat,
        "iat is not in the future",
        iat.is_some() && claim_holds(claims, "iat", &times(now, SKEW)),
        iat.map_or("no iat".into(), |i| format!("issued {} s ago", now - i)),
        "OIDC Core §3.1.3.7 (10)",
    );
    // RFC 7519 §4.1.5: not to be accepted before nbf (a little skew allowed).
    check_nbf(parsed, CheckId::IdTokenNbf, claims, now, SKEW);
    parsed.must(
        CheckId::IdTokenSub,
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
        // OIDC Core §12.2 (errata 2): from a refresh the nonce may be absent.
        (_, None) if expect.refresh_of.is_some() => {}
        (Some(sent), got) => {
            parsed.must(
                CheckId::IdTokenNonce,
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
        // OIDC Core §2: a nonce in the token must equal the one sent, and
        // none was: it names another request.
        (None, Some(got)) => {
            parsed.must(
                CheckId::IdTokenNonce,
                "nonce is the one sent",
                false,
                format!("none sent, got {got:?}"),
                "OIDC Core §2, §3.1.3.7 (11)",
            );
        }
        // From the authorization endpoint a nonce is REQUIRED: one without
        // could be a replayed token (the RP always sends one there).
        (None, None) if expect.front_channel => {
            parsed.must(
                CheckId::IdTokenNonce,
                "nonce is the one sent",
                false,
                "no nonce sent and none in the token",
                "OIDC Core §3.2.2.11, §3.3.2.12",
            );
        }
        // OIDC Core §3.1.2.1: optional in the code flow (an OIDC request
        // sent without one); checked only when sent (§3.1.3.7 (11)).
        (None, None) if expect.refresh_of.is_none() && session.authorization.is_some() => {
            parsed.info(
                CheckId::IdTokenNonce,
                "nonce",
                "none sent, none in the token: nothing to compare (optional in the code flow)",
                "OIDC Core §3.1.2.1, §3.1.3.7 (11)",
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
                parsed.should(
                    CheckId::IdTokenAtHash,
                    "at_hash matches the access token",
                    matches(token, Some(at_hash)),
                    at_hash.to_owned(),
                    "OIDC Core §3.1.3.8",
                );
            }
            None => {
                parsed.info(
                    CheckId::IdTokenAtHash,
                    "at_hash",
                    "absent (optional in the code flow)",
                    "OIDC Core §3.1.3.6",
                );
            }
        }
    }
    if let Some(code) = expect.code {
        let c_hash = text("c_hash");
        parsed.must(
            CheckId::IdTokenCHash,
            "c_hash matches the code",
            matches(code, c_hash),
            c_hash.unwrap_or("missing").to_owned(),
            "OIDC Core §3.3.2.10",
        );
    }
    crate::service::response::report_requested_claims(
        parsed,
        CheckId::IdTokenRequestedClaims,
        "claims requested for the ID token",
        session
            .authorization
            .as_ref()
            .and_then(|a| a.id_token_claims.as_ref()),
        |c| claims.contains_key(c),
    );
    // OIDC Core §3.1.2.1: acr_values are voluntary; what the OP met is
    // shown, never judged.
    let asked_acr = session
        .authorization
        .as_ref()
        .and_then(|a| a.acr_values.as_deref());
    match (text("acr"), asked_acr) {
        (Some(acr), None) => {
            parsed.info(CheckId::IdTokenAcr, "acr is stated", acr, "OIDC Core §2");
        }
        (acr, Some(asked)) => {
            let met = acr.is_some_and(|a| asked.split(' ').any(|v| v == a));
            parsed.info(
                CheckId::IdTokenAcr,
                "acr, against the acr_values asked (voluntary)",
                match acr {
                    Some(a) if met => format!("{a}: one of those asked ({asked})"),
                    Some(a) => {
                        format!("{a}: not one of those asked ({asked}); the OP need not meet them")
                    }
                    None => format!("none stated; asked {asked}"),
                },
                "OIDC Core §2, §3.1.2.1",
            );
        }
        (None, None) => {}
    }
    let identity = Identity {
        iss: text("iss").unwrap_or_default().to_owned(),
        sub: text("sub").unwrap_or_default().to_owned(),
        aud: aud_list.iter().map(|a| (*a).to_owned()).collect(),
        azp: azp.map(str::to_owned),
        auth_time: claims.get("auth_time").and_then(Value::as_i64),
        iat,
        sid: text("sid").map(str::to_owned),
    };
    if expect.refresh_of.is_none()
        && let Some(asked) = session.authorization.as_ref().map(|a| &a.login)
    {
        crate::service::login_checks::check(asked, rp.clock.now(), &identity, parsed);
    }
    if let Some(original) = expect.refresh_of {
        crate::service::id_token_refresh::check_refresh(
            original,
            &identity,
            (
                claims.contains_key("auth_time"),
                claims.contains_key("nonce"),
            ),
            parsed,
        );
    }
    Some(identity)
}
