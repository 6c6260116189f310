//! Back-Channel Logout (OIDC Back-Channel Logout 1.0): the OP's POST of a
//! logout token to the RP. Not an answer to a request of the RP's: the
//! notification is the input, validated as §2.6 says; when every check
//! passes, the login it names is forgotten with its tokens (§2.7).
use jsonwebtoken::jwk::JwkSet;
use oauth_core::form;
use oauth_core::http::HttpRequest;
use oauth_core::jose::{self, JwsAlgorithm};
use serde_json::{Map, Value};

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::outcome::{Parsed, SeenJwt};
use crate::session::Session;

/// The event a logout token announces (§2.4).
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The media type that explicitly types a logout token (§2.4).
const TYP: &str = "logout+jwt";

/// How far apart the clocks of OP and RP may be.
const LEEWAY: i64 = 60;

/// Validates a logout token notification and, if it passes, ends the login
/// it names: the session forgets who is logged in and every token.
pub fn receive(rp: &RelyingParty, session: &mut Session, request: &HttpRequest) -> Parsed {
    let mut parsed = Parsed::default();
    let Some(token) = logout_token(request, &mut parsed) else {
        return parsed;
    };
    let Ok(decoded) = jose::decode_unverified(&token) else {
        parsed.must(
            CheckId::LogoutSignature,
            "the logout token is a JWS",
            false,
            "not a compact JWS",
            "OIDC Back-Channel Logout §2.6 item 2",
        );
        return parsed;
    };
    let mut seen = SeenJwt::decoded("logout_token", &token, &decoded, "not verified");
    let claims = verify_signature(session, &token, &decoded.header, &mut seen, &mut parsed);
    // Checked even when the signature failed, so the transcript shows
    // everything wrong with the token.
    let claims = claims.unwrap_or_else(|| match decoded.claims {
        Value::Object(m) => m,
        _ => Map::new(),
    });
    parsed.jwts.push(seen);
    check_claims(rp, session, &claims, &mut parsed);
    let jti = claims.get("jti").and_then(Value::as_str).map(str::to_owned);
    parsed.parsed = serde_json::json!({
        "logged_out": parsed.ok(),
        "sub": claims.get("sub"),
        "sid": claims.get("sid"),
    });
    // §2.7: the login ends, and with it what the RP held for it; §2.8: the
    // RP answers 200 then (400 otherwise), which need not travel back.
    if parsed.ok() {
        session.identity = None;
        session.tokens.clear();
        session.access_token_type = None;
        session.granted_scope = None;
        session.logout_jtis.extend(jti);
    }
    parsed
}

/// §2.5: a POST of a form with `logout_token`.
fn logout_token(request: &HttpRequest, parsed: &mut Parsed) -> Option<String> {
    let form = (request.method == "POST"
        && request.media_type().as_deref() == Some("application/x-www-form-urlencoded"))
    .then(|| form::parse(&request.body).ok())
    .flatten();
    let token = form
        .as_ref()
        .and_then(|f| f.get("logout_token"))
        .map(str::to_owned);
    parsed.must(
        CheckId::LogoutRequest,
        "a form POST carrying logout_token",
        token.is_some(),
        format!(
            "{} {}",
            request.method,
            request.media_type().unwrap_or_default()
        ),
        "OIDC Back-Channel Logout §2.5",
    );
    token
}

/// §2.6 items 2–3: the alg is one the RP accepts for ID tokens, the
/// signature verifies with the OP's keys, and the token says it is one.
fn verify_signature(
    session: &Session,
    token: &str,
    header: &Value,
    seen: &mut SeenJwt,
    parsed: &mut Parsed,
) -> Option<Map<String, Value>> {
    let registered = session.profile.id_token_signed_response_alg.as_str();
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    parsed.must(
        CheckId::LogoutAlg,
        "alg is the one accepted for ID tokens (never none)",
        alg == registered,
        format!("{alg:?}, accepted {registered:?}"),
        "OIDC Back-Channel Logout §2.6 item 3",
    );
    let typ = header.get("typ").and_then(Value::as_str);
    parsed.should(
        CheckId::LogoutTyp,
        "typ is logout+jwt",
        typ.is_some_and(|t| t.eq_ignore_ascii_case(TYP)),
        typ.unwrap_or("absent").to_owned(),
        "OIDC Back-Channel Logout §2.4",
    );
    let allowed: Vec<JwsAlgorithm> = registered.parse().into_iter().collect();
    let verified = match &session.jwks {
        None => Err("the session holds no OP keys".to_owned()),
        Some(jwks) => verify_with(token, jwks, &allowed),
    };
    parsed.must(
        CheckId::LogoutSignature,
        "signature verifies with the OP's key",
        verified.is_ok(),
        match &verified {
            Ok((_, how)) => how.clone(),
            Err(e) => e.clone(),
        },
        "OIDC Back-Channel Logout §2.6 item 2",
    );
    match verified {
        Ok((claims, how)) => {
            seen.verified = true;
            seen.verification = format!("signature verified: {how}");
            Some(claims)
        }
        Err(e) => {
            seen.verification = format!("verification failed: {e}");
            None
        }
    }
}

fn verify_with(
    token: &str,
    jwks: &JwkSet,
    allowed: &[JwsAlgorithm],
) -> Result<(Map<String, Value>, String), String> {
    let v = jose::verify(token, jwks, allowed).map_err(|e| e.to_string())?;
    let kid = v.kid.clone().unwrap_or_else(|| "(no kid)".into());
    Ok((v.claims, format!("{}, OP key {kid}", jose::alg_name(v.alg))))
}

/// §2.6 items 3–9 and §2.7: the claims, and the login they name.
fn check_claims(
    rp: &RelyingParty,
    session: &Session,
    claims: &Map<String, Value>,
    parsed: &mut Parsed,
) {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let now = rp.clock.now();
    let issuer = session.metadata.as_ref().map(|m| m.issuer.as_str());
    parsed.must(
        CheckId::LogoutIss,
        "iss is the OP's issuer",
        issuer.is_some() && text("iss") == issuer,
        text("iss").unwrap_or("absent").to_owned(),
        "OIDC Back-Channel Logout §2.6 item 4",
    );
    let client_id = session.profile.client_id.as_str();
    let audiences = oauth_core::claims::audiences(claims);
    parsed.must(
        CheckId::LogoutAud,
        "aud contains the client_id",
        audiences.iter().any(|a| a == client_id),
        audiences.join(" "),
        "OIDC Back-Channel Logout §2.6 item 4",
    );
    let iat = claims.get("iat").and_then(Value::as_i64);
    parsed.must(
        CheckId::LogoutIat,
        "iat is present and not in the future",
        iat.is_some_and(|t| t <= now + LEEWAY),
        iat.map_or_else(|| "absent".to_owned(), |t| t.to_string()),
        "OIDC Back-Channel Logout §2.4, §2.6 item 4",
    );
    // §2.4 does not require exp; §4 encourages one at most two minutes out.
    match claims.get("exp").map(Value::as_i64) {
        Some(exp) => {
            parsed.must(
                CheckId::LogoutExp,
                "exp has not passed",
                exp.is_some_and(|e| e + LEEWAY > now),
                exp.map_or_else(|| "not a number".to_owned(), |e| e.to_string()),
                "OIDC Back-Channel Logout §2.6 item 4",
            );
        }
        None => parsed.info(
            CheckId::LogoutExp,
            "no exp: the token does not expire",
            "absent (a short exp is encouraged)",
            "OIDC Back-Channel Logout §4",
        ),
    }
    let jti = text("jti");
    parsed.must(
        CheckId::LogoutJti,
        "jti is present",
        jti.is_some(),
        jti.unwrap_or("absent").to_owned(),
        "OIDC Back-Channel Logout §2.4",
    );
    parsed.must(
        CheckId::LogoutJtiReplay,
        "no logout token with this jti was accepted before",
        jti.is_none_or(|j| !session.logout_jtis.contains(j)),
        if jti.is_some_and(|j| session.logout_jtis.contains(j)) {
            "seen before: a replay"
        } else {
            "first seen"
        },
        "OIDC Back-Channel Logout §2.6 item 8",
    );
    let event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|e| e.get(EVENT));
    parsed.must(
        CheckId::LogoutEvents,
        "events has the back-channel logout member, a JSON object",
        event.is_some_and(Value::is_object),
        claims
            .get("events")
            .map_or_else(|| "absent".to_owned(), ToString::to_string),
        "OIDC Back-Channel Logout §2.6 item 6",
    );
    parsed.must(
        CheckId::LogoutNonce,
        "no nonce (a logout token must not pass for an ID token)",
        !claims.contains_key("nonce"),
        if claims.contains_key("nonce") {
            "nonce present"
        } else {
            "absent"
        },
        "OIDC Back-Channel Logout §2.6 item 7",
    );
    let (sub, sid) = (text("sub"), text("sid"));
    parsed.must(
        CheckId::LogoutSubOrSid,
        "sub or sid is present",
        sub.is_some() || sid.is_some(),
        format!(
            "sub {}, sid {}",
            sub.unwrap_or("absent"),
            sid.unwrap_or("absent")
        ),
        "OIDC Back-Channel Logout §2.6 item 5",
    );
    check_session(session, sub, sid, parsed);
}

/// §2.7: the token names this session's login: its `sub` is the logged-in
/// user's and its `sid` the login's, each where present.
fn check_session(session: &Session, sub: Option<&str>, sid: Option<&str>, parsed: &mut Parsed) {
    let (ok, detail) = match &session.identity {
        None => (false, "no login is held in this session".to_owned()),
        Some(identity) => {
            let sub_ok = sub.is_none_or(|s| s == identity.sub);
            let sid_ok = sid.is_none_or(|s| identity.sid.as_deref() == Some(s));
            (
                (sub.is_some() || sid.is_some()) && sub_ok && sid_ok,
                format!(
                    "sub {}, sid {}",
                    if sub_ok { "matches" } else { "differs" },
                    if sid_ok { "matches" } else { "differs" }
                ),
            )
        }
    };
    parsed.must(
        CheckId::LogoutSession,
        "it names the login this session holds",
        ok,
        detail,
        "OIDC Back-Channel Logout §2.6 items 10, 11, §2.7",
    );
}
