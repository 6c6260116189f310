//! Token requests (RFC 6749 §4.3.2, §4.4.2) with client authentication
//! (RFC 6749 §2.3.1), and verification of the token response (§5.1) and of
//! a JWT access token (RFC 9068 §4).
use std::collections::BTreeMap;

use oauth_core::client_auth::{self, AuthMethod};
use oauth_core::form;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::jose::{self, JwsAlgorithm};
use oauth_core::scope::Scope;
use oauth_core::token::ACCESS_TOKEN_TYP;
use serde_json::Value;

use super::{ClientService, Parsed, SeenJwt, StepError};
use crate::RelyingParty;
use crate::session::{Pending, Session};

/// Algorithms the RP accepts on AS-signed JWTs.
pub const AS_ALGORITHMS: [JwsAlgorithm; 2] = [JwsAlgorithm::ES256, JwsAlgorithm::RS256];

fn token_endpoint<'a>(rp: &'a RelyingParty, session: &'a Session) -> &'a str {
    session
        .metadata
        .as_ref()
        .and_then(|m| m.get("token_endpoint"))
        .and_then(Value::as_str)
        .unwrap_or(&rp.config.token_endpoint)
}

/// Builds a token request for the client_credentials or password grant.
pub fn request(
    rp: &RelyingParty,
    session: &mut Session,
    service: ClientService,
    args: &BTreeMap<String, String>,
) -> Result<HttpRequest, StepError> {
    let profile = &session.profile;
    let arg = |name: &str| args.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let mut params: Vec<(&str, String)> = Vec::new();
    match service {
        ClientService::ClientCredentials => {
            params.push(("grant_type", "client_credentials".into()));
        }
        ClientService::ResourceOwnerPasswordCredentials => {
            let username = arg("username")
                .or(profile.username.as_deref())
                .ok_or_else(|| StepError::Profile("no username configured".into()))?;
            let password = arg("password")
                .or(profile.password.as_ref().map(|p| p.expose()))
                .ok_or_else(|| StepError::Profile("no password configured".into()))?;
            params.push(("grant_type", "password".into()));
            params.push(("username", username.to_owned()));
            params.push(("password", password.to_owned()));
        }
        other => return Err(StepError::UnknownService(other.name().into())),
    }
    if let Some(scope) = arg("scope").or(profile.scope.as_deref()) {
        params.push(("scope", scope.to_owned()));
    }
    let method = match arg("token_endpoint_auth_method") {
        Some(m) => AuthMethod::parse(m),
        None => profile.token_endpoint_auth_method.clone(),
    };
    let mut headers = vec![
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("Accept", "application/json".to_owned()),
    ];
    let secret = || {
        profile
            .client_secret
            .as_ref()
            .ok_or_else(|| StepError::Profile(format!("{method} needs a client secret")))
    };
    match &method {
        AuthMethod::ClientSecretBasic => {
            headers.push((
                "Authorization",
                client_auth::basic_header(&profile.client_id, secret()?),
            ));
        }
        AuthMethod::ClientSecretPost => {
            params.push(("client_id", profile.client_id.clone()));
            params.push(("client_secret", secret()?.expose().to_owned()));
        }
        AuthMethod::None => params.push(("client_id", profile.client_id.clone())),
        AuthMethod::Extension(m) => {
            return Err(StepError::BadArgument(format!(
                "token_endpoint_auth_method {m:?} is not supported"
            )));
        }
    }
    let body = form::encode(params.iter().map(|(k, v)| (*k, v.as_str())));
    let request = HttpRequest::new(
        "POST",
        token_endpoint(rp, session),
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        body,
    )
    .map_err(|e| StepError::BadArgument(e.to_string()))?;
    Ok(request)
}

/// Verifies a successful token response.
pub fn verify(
    rp: &RelyingParty,
    session: &Session,
    pending: &Pending,
    response: &HttpResponse,
    body: Value,
    parsed: &mut Parsed,
) {
    let header = |name: &str| response.headers.get(name).map(String::as_str);
    parsed.check(
        "HTTP status is 200",
        response.status == 200,
        response.status.to_string(),
        "RFC 6749 §5.1",
    );
    parsed.check(
        "Cache-Control is no-store",
        header("cache-control").is_some_and(|v| v.to_ascii_lowercase().contains("no-store")),
        header("cache-control").unwrap_or("absent"),
        "RFC 6749 §5.1",
    );
    let access_token = body.get("access_token").and_then(Value::as_str);
    parsed.check(
        "access_token is present",
        access_token.is_some_and(|t| !t.is_empty()),
        if access_token.is_some() {
            "present"
        } else {
            "missing"
        },
        "RFC 6749 §5.1",
    );
    let token_type = body.get("token_type").and_then(Value::as_str).unwrap_or("");
    parsed.check(
        "token_type is Bearer",
        token_type.eq_ignore_ascii_case("bearer"),
        format!("{token_type:?}"),
        "RFC 6749 §5.1, RFC 6750 §4",
    );
    match body.get("expires_in") {
        Some(v) => {
            parsed.check(
                "expires_in is a positive number of seconds",
                v.as_i64().is_some_and(|n| n > 0),
                v.to_string(),
                "RFC 6749 §5.1",
            );
        }
        None => {
            parsed.check(
                "expires_in is given",
                true,
                "absent (RECOMMENDED only)",
                "RFC 6749 §5.1",
            );
        }
    }
    check_scope(pending, &body, parsed);
    if let Some(token) = access_token {
        inspect_access_token(rp, session, token, parsed);
    }
}

/// RFC 6749 §3.3, §5.1: the AS may grant less than asked and must then say
/// so; it must never grant more.
fn check_scope(pending: &Pending, body: &Value, parsed: &mut Parsed) {
    let asked = pending.params.get("scope").map(Scope::parse);
    let granted = body.get("scope").and_then(Value::as_str).map(Scope::parse);
    match (asked, granted) {
        (_, Some(Err(e))) => {
            parsed.check("granted scope is well-formed", false, e, "RFC 6749 §3.3");
        }
        (Some(Ok(asked)), Some(Ok(granted))) => {
            parsed.check(
                "granted scope is within the requested scope",
                granted.is_subset_of(&asked),
                format!("granted \"{granted}\", asked \"{asked}\""),
                "RFC 6749 §3.3",
            );
        }
        (Some(Ok(asked)), None) => {
            parsed.check(
                "granted scope is the requested scope",
                true,
                format!("no scope in the response: {asked} as asked"),
                "RFC 6749 §5.1",
            );
        }
        (None, Some(Ok(granted))) => {
            parsed.check(
                "granted scope is named",
                true,
                format!("default scope \"{granted}\""),
                "RFC 6749 §3.3",
            );
        }
        (Some(Err(e)), _) => {
            parsed.check("requested scope is well-formed", false, e, "RFC 6749 §3.3");
        }
        (None, None) => {}
    }
}

/// Decodes a JWT access token, and verifies it as a resource server would
/// (RFC 9068 §4) when the profile asks for it.
fn inspect_access_token(rp: &RelyingParty, session: &Session, token: &str, parsed: &mut Parsed) {
    let Ok(decoded) = jose::decode_unverified(token) else {
        parsed.check(
            "access token format",
            true,
            "opaque (not a JWT): only the AS can tell what it means",
            "RFC 6749 §1.4",
        );
        return;
    };
    let mut seen = SeenJwt {
        name: "access_token".into(),
        compact: token.to_owned(),
        header: decoded.header.clone(),
        claims: decoded.claims.clone(),
        verified: false,
        verification:
            "decoded only: an access token is for the resource server to verify (RFC 9068 §4)"
                .into(),
    };
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
    parsed.check(
        "access token typ is at+jwt",
        typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
            || typ.eq_ignore_ascii_case("application/at+jwt"),
        format!("{typ:?}"),
        "RFC 9068 §4",
    );
    let Some(jwks) = &session.jwks else {
        parsed.check(
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
            parsed.check(
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
    parsed.check(
        "access token signature verifies",
        true,
        format!("{alg} with AS key {kid}"),
        "RFC 9068 §4, RFC 7515 §5.2",
    );
    seen.verified = true;
    seen.verification = format!("signature verified: {alg}, AS key {kid}");
    let claims = &verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    let expected_issuer = session
        .metadata
        .as_ref()
        .and_then(|m| m.get("issuer"))
        .and_then(Value::as_str)
        .unwrap_or(&rp.config.issuer);
    parsed.check(
        "iss is the AS",
        text("iss") == expected_issuer,
        format!("{:?}", text("iss")),
        "RFC 9068 §4",
    );
    let now = rp.clock.now();
    let exp = claims.get("exp").and_then(Value::as_i64);
    parsed.check(
        "exp is in the future",
        exp.is_some_and(|e| e > now),
        match exp {
            Some(e) => format!("expires in {} s", e - now),
            None => "no exp".into(),
        },
        "RFC 9068 §4, RFC 7519 §4.1.4",
    );
    parsed.check(
        "client_id is this client",
        text("client_id") == session.profile.client_id,
        format!("{:?}", text("client_id")),
        "RFC 9068 §2.2",
    );
}
