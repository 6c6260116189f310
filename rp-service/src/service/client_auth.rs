//! Building requests to the AS: its endpoint URLs and issuer, step
//! arguments, and client authentication (RFC 6749 §2.3.1, RFC 7523) with
//! the DPoP proof (RFC 9449) a token request carries.

use std::collections::BTreeMap;

use oauth_core::client_auth::{self, AuthMethod};
use oauth_core::form;
use oauth_core::http::HttpRequest;

use crate::RelyingParty;
use crate::service::outcome::StepError;
use crate::service::registry::AsEndpoint;
use crate::session::Session;

/// The AS's issuer: as discovered, else as configured.
pub(crate) fn issuer<'a>(rp: &'a RelyingParty, session: &'a Session) -> &'a str {
    session
        .metadata
        .as_ref()
        .map(|m| m.issuer.as_str())
        .unwrap_or(&rp.config.issuer)
}

/// A step argument, empty meaning absent.
pub(crate) fn arg<'a>(args: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    args.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// The URL of an AS endpoint: from the discovered metadata, else the configuration.
pub(crate) fn endpoint_url<'a>(
    rp: &'a RelyingParty,
    session: &'a Session,
    endpoint: AsEndpoint,
) -> Result<&'a str, StepError> {
    let name = endpoint.metadata_name();
    session
        .metadata
        .as_ref()
        .and_then(|m| m.endpoint(name))
        .or_else(|| rp.config.endpoint(name))
        .ok_or_else(|| {
            StepError::MissingState(format!(
                "the AS has no {name} in its metadata and none is configured"
            ))
        })
}

/// A form POST to an AS endpoint with the client's authentication (RFC
/// 6749 §2.3.1): an `Authorization: Basic` header, or the id and secret in
/// the body, or the id alone for a public client.
pub(crate) fn authenticated_post(
    rp: &RelyingParty,
    session: &Session,
    endpoint: AsEndpoint,
    mut params: Vec<(&str, String)>,
    args: &BTreeMap<String, String>,
) -> Result<HttpRequest, StepError> {
    // `client=PROFILE`: another client's credentials for this step (an
    // attack story: a client redeeming a code that is not its own).
    let profile =
        match arg(args, "client") {
            Some(name) => rp.config.profiles.get(name).ok_or_else(|| {
                StepError::BadArgument(format!("client {name:?}: no such profile"))
            })?,
            None => &session.profile,
        };
    let method = match arg(args, "token_endpoint_auth_method") {
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
        AuthMethod::PrivateKeyJwt => {}
        AuthMethod::Extension(m) => {
            return Err(StepError::BadArgument(format!(
                "token_endpoint_auth_method {m:?} is not supported"
            )));
        }
    }
    let url = endpoint_url(rp, session, endpoint)?;
    if let AuthMethod::PrivateKeyJwt = method {
        // RFC 7523 §2.2: an assertion signed with the RP's key, for this endpoint.
        let key = rp
            .keys
            .keys()
            .first()
            .ok_or_else(|| StepError::Profile("the RP has no signing key".into()))?;
        let now = rp.clock.now();
        let assertion = match (arg(args, "assertion_aud"), arg(args, "assertion_exp")) {
            (None, None) => client_auth::client_assertion(key, &profile.client_id, url, now),
            (aud, exp) => {
                let exp = match exp {
                    Some(s) => s.parse::<i64>().map_err(|_| {
                        StepError::BadArgument(format!("assertion_exp {s:?}: seconds ahead"))
                    })?,
                    None => 60,
                };
                let claims = serde_json::json!({
                    "iss": profile.client_id,
                    "sub": profile.client_id,
                    "aud": aud.unwrap_or(url),
                    "jti": oauth_core::random::token(16),
                    "iat": now,
                    "exp": now + exp,
                });
                key.sign("JWT", &claims)
            }
        }
        .map_err(|e| StepError::BadArgument(format!("client assertion: {e}")))?;
        params.push(("client_id", profile.client_id.clone()));
        params.push((
            "client_assertion_type",
            client_auth::JWT_BEARER_ASSERTION.to_owned(),
        ));
        params.push(("client_assertion", assertion));
    }
    // RFC 9449 §5: with a DPoP key, every token request carries a proof.
    // Attack stories may replay the last proof, or sign one for another URL.
    // `dpop_proof=none`: the proof left out (an attack: a bound token
    // exchanged by someone who does not hold the key).
    if let (Some(key), AsEndpoint::Token | AsEndpoint::PushedAuthorization, false) = (
        &session.dpop_key,
        endpoint,
        arg(args, "dpop_proof") == Some("none"),
    ) {
        let proof = match arg(args, "dpop_proof") {
            Some("replay") => session
                .last_dpop_proof
                .clone()
                .ok_or_else(|| StepError::MissingState("no DPoP proof was sent before".into()))?,
            other => {
                let target = match other {
                    None => url.to_owned(),
                    Some("wrong_htu") => {
                        endpoint_url(rp, session, AsEndpoint::Userinfo)?.to_owned()
                    }
                    Some(v) => {
                        return Err(StepError::BadArgument(format!(
                            "dpop_proof {v:?}: use replay, wrong_htu or none"
                        )));
                    }
                };
                let parsed_url =
                    url::Url::parse(&target).map_err(|e| StepError::BadArgument(e.to_string()))?;
                oauth_core::dpop::proof(
                    key,
                    "POST",
                    &parsed_url,
                    rp.clock.now(),
                    None,
                    session.dpop_nonce.as_deref(),
                )
                .map_err(|e| StepError::BadArgument(format!("DPoP proof: {e}")))?
            }
        };
        headers.push(("DPoP", proof));
    }
    let body = form::encode(params.iter().map(|(k, v)| (*k, v.as_str())));
    HttpRequest::new(
        "POST",
        url,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        body,
    )
    .map_err(|e| StepError::BadArgument(e.to_string()))
}
