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
use crate::service::variation::{self, Variation, Variations};
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
/// the body, an assertion (RFC 7523), or the id alone for a public client;
/// with the session's DPoP key, a proof (RFC 9449 §5). An attack story's
/// `vary` may swap the client, the assertion or the proof.
pub(crate) fn authenticated_post(
    rp: &RelyingParty,
    session: &Session,
    endpoint: AsEndpoint,
    mut params: Vec<(&str, String)>,
    args: &BTreeMap<String, String>,
    vary: &Variations,
) -> Result<HttpRequest, StepError> {
    let profile =
        match vary.client() {
            None => &session.profile,
            Some(name) => rp.config.profiles.get(name).ok_or_else(|| {
                StepError::BadArgument(format!("client {name:?}: no such profile"))
            })?,
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
    let url = endpoint_url(rp, session, endpoint)?;
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
        AuthMethod::PrivateKeyJwt => {
            params.push(("client_id", profile.client_id.clone()));
            params.push((
                "client_assertion_type",
                client_auth::JWT_BEARER_ASSERTION.to_owned(),
            ));
            params.push((
                "client_assertion",
                assertion(rp, session, profile, url, vary)?,
            ));
        }
        // OIDC Core §9: the same assertion, MACed (HS256) with the secret,
        // which itself never crosses the wire.
        AuthMethod::ClientSecretJwt => {
            params.push(("client_id", profile.client_id.clone()));
            params.push((
                "client_assertion_type",
                client_auth::JWT_BEARER_ASSERTION.to_owned(),
            ));
            let assertion = client_auth::client_secret_assertion(
                secret()?,
                &profile.client_id,
                url,
                rp.clock.now(),
            )
            .map_err(|e| StepError::Profile(format!("client_secret_jwt: {e}")))?;
            params.push(("client_assertion", assertion));
        }
        AuthMethod::Extension(m) => {
            return Err(StepError::BadArgument(format!(
                "token_endpoint_auth_method {m:?} is not supported"
            )));
        }
    }
    // RFC 9449 §5: with a DPoP key, every token request carries a proof.
    if let (Some(key), AsEndpoint::Token | AsEndpoint::PushedAuthorization) =
        (&session.dpop_key, endpoint)
        && let Some(proof) = dpop_proof(rp, session, key, url, vary)?
    {
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

/// RFC 7523 §2.2: an assertion signed with the profile's key (or else the
/// RP's), for this endpoint — under FAPI 2.0 for the issuer alone (§5.3.2.1)
/// — or, varied, for another audience or lifetime.
fn assertion(
    rp: &RelyingParty,
    session: &Session,
    profile: &crate::config::Profile,
    url: &str,
    vary: &Variations,
) -> Result<String, StepError> {
    let own;
    let key = match &profile.signing_key {
        Some(jwk) => {
            own = oauth_core::jose::SigningKey::from_private_jwk(jwk.clone())
                .map_err(|e| StepError::Profile(format!("signing_key: {e}")))?;
            &own
        }
        None => rp
            .keys
            .keys()
            .first()
            .ok_or_else(|| StepError::Profile("the RP has no signing key".into()))?,
    };
    let client_id = profile.client_id.as_str();
    let audience = if profile.fapi2 {
        issuer(rp, session)
    } else {
        url
    };
    let now = rp.clock.now();
    match vary.assertion() {
        None => client_auth::client_assertion(key, client_id, audience, now),
        Some(varied) => key.sign(
            "JWT",
            &variation::varied_assertion_claims(client_id, url, now, varied),
        ),
    }
    .map_err(|e| StepError::BadArgument(format!("client assertion: {e}")))
}

/// The DPoP proof of a POST to `url` (RFC 9449 §4), with the AS's nonce if
/// it gave one; varied: the last proof replayed, one made for the UserInfo
/// URL, or none at all.
fn dpop_proof(
    rp: &RelyingParty,
    session: &Session,
    key: &oauth_core::jose::SigningKey,
    url: &str,
    vary: &Variations,
) -> Result<Option<String>, StepError> {
    let target =
        match vary.dpop_proof() {
            None => url,
            Some(Variation::NoDpopProof) => return Ok(None),
            Some(Variation::ReplayedDpopProof) => {
                return session.last_dpop_proof.clone().map(Some).ok_or_else(|| {
                    StepError::MissingState("no DPoP proof was sent before".into())
                });
            }
            Some(_) => endpoint_url(rp, session, AsEndpoint::Userinfo)?,
        };
    let target = url::Url::parse(target).map_err(|e| StepError::BadArgument(e.to_string()))?;
    oauth_core::dpop::proof(
        key,
        "POST",
        &target,
        rp.clock.now(),
        None,
        session.dpop_nonce.as_deref(),
    )
    .map(Some)
    .map_err(|e| StepError::BadArgument(format!("DPoP proof: {e}")))
}
