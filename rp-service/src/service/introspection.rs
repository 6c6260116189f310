//! Token introspection (RFC 7662), as the client that holds the token.
use std::collections::BTreeMap;

use oauth_core::http::HttpRequest;
use serde_json::Value;

use crate::RelyingParty;
use crate::service::check_id::CheckId;
use crate::service::client_auth::{arg, authenticated_post};
use crate::service::outcome::{Level, Parsed, StepError};
use crate::service::registry::AsEndpoint;
use crate::service::variation::Variations;
use crate::session::{Pending, Session};

/// Which session token a step names: `access_token` (default),
/// `refresh_token` or `exchanged_token`; and its `token_type_hint`.
pub(crate) fn session_token<'a>(
    session: &'a Session,
    args: &BTreeMap<String, String>,
) -> Result<(&'a str, &'static str), StepError> {
    let which = arg(args, "token").unwrap_or("access_token");
    let hint = match which {
        "access_token" | "exchanged_token" => "access_token",
        "refresh_token" => "refresh_token",
        other => {
            return Err(StepError::BadArgument(format!(
                "token {other:?}: use access_token, refresh_token or exchanged_token"
            )));
        }
    };
    let token = session
        .tokens
        .get(which)
        .ok_or_else(|| StepError::MissingState(format!("the session holds no {which}")))?;
    Ok((token, hint))
}

pub fn request(
    rp: &RelyingParty,
    session: &Session,
    args: &BTreeMap<String, String>,
) -> Result<HttpRequest, StepError> {
    token_post(rp, session, args, AsEndpoint::Introspection)
}

/// An authenticated POST naming one of the session's tokens: introspection
/// (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) ask the same way.
pub(crate) fn token_post(
    rp: &RelyingParty,
    session: &Session,
    args: &BTreeMap<String, String>,
    endpoint: AsEndpoint,
) -> Result<HttpRequest, StepError> {
    let (token, hint) = session_token(session, args)?;
    let params = vec![
        ("token", token.to_owned()),
        ("token_type_hint", hint.to_owned()),
    ];
    authenticated_post(rp, session, endpoint, params, args, &Variations::default())
}

pub fn verify(
    rp: &RelyingParty,
    session: &Session,
    pending: &Pending,
    body: Value,
    parsed: &mut Parsed,
) {
    let active = body.get("active").and_then(Value::as_bool);
    parsed.must(
        CheckId::IntrospectionActive,
        "active is a boolean",
        active.is_some(),
        body.get("active")
            .map_or("missing".into(), Value::to_string),
        "RFC 7662 §2.2",
    );
    // The state a story expects the token in: `expect_active` as a MUST;
    // `should_be_active` where the clause says SHOULD (RFC 6749 §4.1.2: the
    // tokens of a code used twice SHOULD be revoked).
    for (name, level, reference) in [
        ("expect_active", Level::Must, "RFC 7662 §2.2"),
        (
            "should_be_active",
            Level::Should,
            "RFC 6749 §4.1.2, RFC 7662 §2.2",
        ),
    ] {
        if let Some(expected) = arg(&pending.args, name) {
            let expected = expected == "true";
            parsed.check(
                level,
                CheckId::IntrospectionExpectedState,
                format!(
                    "the token is {}",
                    if expected { "active" } else { "inactive" }
                ),
                active == Some(expected),
                format!(
                    "active: {}",
                    active.map_or("missing".into(), |a| a.to_string())
                ),
                reference,
            );
        }
    }
    if active != Some(true) {
        return;
    }
    // RFC 9396 §9.2: the details the token carries. A JWT shows them; of
    // an opaque one the client knows only that it asked for some.
    match pending
        .params
        .get("token")
        .map(oauth_core::jose::decode_unverified)
    {
        Some(Ok(decoded)) => crate::service::details::check_introspection(
            parsed,
            &body,
            decoded.claims.get("authorization_details"),
            true,
        ),
        _ if pending.params.get("token_type_hint") == Some("access_token") => {
            crate::service::details::check_introspection(
                parsed,
                &body,
                session
                    .authorization
                    .as_ref()
                    .and_then(|a| a.authorization_details.as_ref()),
                false,
            );
        }
        _ => {}
    }
    // RFC 7662 §2.2: client_id and exp are OPTIONAL members; when given,
    // they should agree with what the client knows of its own token.
    match body.get("client_id").and_then(Value::as_str) {
        Some(client_id) => {
            parsed.should(
                CheckId::IntrospectionClientId,
                "client_id is this client",
                client_id == session.profile.client_id,
                format!("{client_id:?}"),
                "RFC 7662 §2.2",
            );
        }
        None => parsed.info(
            CheckId::IntrospectionClientId,
            "client_id",
            "not given (OPTIONAL)",
            "RFC 7662 §2.2",
        ),
    }
    let now = rp.clock.now();
    match body.get("exp").and_then(Value::as_i64) {
        Some(exp) => {
            parsed.should(
                CheckId::IntrospectionExp,
                "exp is in the future",
                exp > now,
                format!("expires in {} s", exp - now),
                "RFC 7662 §2.2",
            );
        }
        None => parsed.info(
            CheckId::IntrospectionExp,
            "exp",
            "not given (OPTIONAL)",
            "RFC 7662 §2.2",
        ),
    }
}
