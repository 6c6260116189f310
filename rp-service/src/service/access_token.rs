//! A JWT access token as the RP sees it in a token response: decoded, and
//! verified as a resource server would (RFC 9068 §4) when the profile asks;
//! a DPoP-bound token's `cnf.jkt` checked against the RP's key (RFC 9449 §6).

use oauth_core::claims::Expected;
use oauth_core::jose::{self, JwsAlgorithm};
use oauth_core::token::ACCESS_TOKEN_TYP;
use serde_json::Value;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::claim_checks::{check_nbf, claim_holds, times};
use crate::service::outcome::{Parsed, SeenJwt};
use crate::session::Session;

/// Algorithms the RP accepts on AS-signed JWTs.
pub const AS_ALGORITHMS: [JwsAlgorithm; 2] = [JwsAlgorithm::ES256, JwsAlgorithm::RS256];

/// Decodes a JWT access token, and verifies it as a resource server would
/// (RFC 9068 §4) when the profile asks for it.
pub(crate) fn inspect_access_token(
    rp: &RelyingParty,
    session: &Session,
    token: &str,
    parsed: &mut Parsed,
) {
    let Ok(decoded) = jose::decode_unverified(token) else {
        parsed.info(
            CheckId::AccessTokenFormat,
            "access token format",
            "opaque (not a JWT): only the AS can tell what it means",
            "RFC 6749 §1.4",
        );
        return;
    };
    let mut seen = SeenJwt::decoded(
        "access_token",
        token,
        &decoded,
        "decoded only: an access token is for the resource server to verify (RFC 9068 §4)",
    );
    // RFC 9068 applies to tokens that declare its profile (§2.1 typ
    // at+jwt); any other JWT is, to the client, as opaque as a random
    // string (RFC 6749 §1.4): shown, not judged.
    let typ = decoded
        .header
        .get("typ")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !is_at_jwt(typ) {
        parsed.info(
            CheckId::AccessTokenFormat,
            "access token format",
            format!("a JWT with typ {typ:?}: decoded only, not an RFC 9068 JWT"),
            "RFC 9068 §2.1, RFC 6749 §1.4",
        );
        parsed.jwts.push(seen);
        return;
    }
    if session.profile.verify_access_token {
        verify_access_token(rp, session, token, &decoded.header, &mut seen, parsed);
    }
    parsed.jwts.push(seen);
}

fn verify_access_token(
    rp: &RelyingParty,
    session: &Session,
    token: &str,
    header: &Value,
    seen: &mut SeenJwt,
    parsed: &mut Parsed,
) {
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    parsed.must(
        CheckId::AccessTokenTyp,
        "access token typ is at+jwt",
        is_at_jwt(typ),
        format!("{typ:?}"),
        "RFC 9068 §4",
    );
    let Some(jwks) = &session.jwks else {
        parsed.must(
            CheckId::AccessTokenSignature,
            "access token signature verifies",
            false,
            "the session holds no AS keys: run the jwks step first",
            "RFC 9068 §4",
        );
        seen.verification = "not verified: no AS keys in the session".into();
        return;
    };
    let verified = match jose::verify(token, jwks, &AS_ALGORITHMS) {
        Ok(v) => v,
        Err(e) => {
            parsed.must(
                CheckId::AccessTokenSignature,
                "access token signature verifies",
                false,
                e.to_string(),
                "RFC 9068 §4",
            );
            seen.verification = format!("verification failed: {e}");
            return;
        }
    };
    let kid = verified.kid.as_deref().unwrap_or("(no kid)");
    let alg = jose::alg_name(verified.alg);
    parsed.must(
        CheckId::AccessTokenSignature,
        "access token signature verifies",
        true,
        format!("{alg} with AS key {kid}"),
        "RFC 9068 §4, RFC 7515 §5.2",
    );
    seen.verified = true;
    seen.verification = format!("signature verified: {alg}, AS key {kid}");
    let claims = &verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    let expected_issuer = crate::service::client_auth::issuer(rp, session);
    let now = rp.clock.now();
    parsed.must(
        CheckId::AccessTokenIss,
        "iss is the AS",
        claim_holds(
            claims,
            "iss",
            &Expected {
                issuer: Some(expected_issuer),
                ..times(now, 0)
            },
        ),
        format!("{:?}", text("iss")),
        "RFC 9068 §4",
    );
    let exp = claims.get("exp").and_then(Value::as_i64);
    parsed.must(
        CheckId::AccessTokenExp,
        "exp is in the future",
        claim_holds(
            claims,
            "exp",
            &Expected {
                require_exp: true,
                ..times(now, 0)
            },
        ),
        match exp {
            Some(e) => format!("expires in {} s", e - now),
            None => "no exp".into(),
        },
        "RFC 9068 §4, RFC 7519 §4.1.4",
    );
    // RFC 7519 §4.1.5: not to be accepted before nbf.
    check_nbf(parsed, CheckId::AccessTokenNbf, claims, now, 60);
    parsed.must(
        CheckId::AccessTokenClientId,
        "client_id is this client",
        text("client_id") == session.profile.client_id,
        format!("{:?}", text("client_id")),
        "RFC 9068 §2.2",
    );
}

/// The RFC 9068 media type, with or without its `application/` prefix (§4).
fn is_at_jwt(typ: &str) -> bool {
    typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || typ.eq_ignore_ascii_case("application/at+jwt")
}

/// RFC 9449 §6.1: a JWT access token bound to the proof's key names the
/// key's thumbprint in `cnf.jkt` — stolen, it is useless without the key.
pub(crate) fn check_binding(token: &str, key: &oauth_core::jose::SigningKey, parsed: &mut Parsed) {
    let ours = jose::thumbprint(key.public_jwk()).unwrap_or_default();
    let Ok(decoded) = jose::decode_unverified(token) else {
        // RFC 9449 §6.2: an opaque token's binding is known to the AS only
        // (introspection's cnf); the client cannot see it.
        parsed.info(
            CheckId::DpopBinding,
            "the access token is bound to our DPoP key",
            "opaque token: only the AS (and introspection) can tell",
            "RFC 9449 §6.2",
        );
        return;
    };
    let jkt = decoded
        .claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    match jkt {
        Some(jkt) => {
            parsed.must(
                CheckId::DpopBinding,
                "the access token is bound to our DPoP key (cnf.jkt)",
                jkt == ours,
                jkt,
                "RFC 9449 §6.1",
            );
        }
        None => {
            parsed.must(
                CheckId::DpopBinding,
                "the access token is bound to our DPoP key (cnf.jkt)",
                false,
                "no cnf.jkt in the token",
                "RFC 9449 §6.1",
            );
        }
    }
}
