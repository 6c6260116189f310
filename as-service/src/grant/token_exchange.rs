//! OAuth 2.0 Token Exchange (RFC 8693): an access token of this server, as
//! subject_token, for a new access token — for another audience, or a
//! narrower scope.
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::token::{TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT};

use super::target::{Granted, decide};
use super::{Grant, requested_scope};
use crate::AuthServer;
use crate::config::Client;
use crate::tokens;

/// RFC 8693 §2.1 and §2.2.2. A subject token that is invalid for any reason
/// (unrecognised, expired, revoked, someone else's) is `invalid_request`, as
/// §2.2.2 says; an audience the client may not ask for is `invalid_target`.
///
/// The exchange keeps every constraint of the subject token (RFC 8693 §5):
/// a DPoP-bound subject token is exchanged only with a proof by its key
/// (`dpop_jkt`, the request's checked proof), and the new token is bound to
/// that key (RFC 9449 §6, §7); the new token never outlives the subject token.
pub async fn grant(
    server: &AuthServer,
    client: &Client,
    params: &Params,
    dpop_jkt: Option<&str>,
) -> Result<Grant, OAuthError> {
    let subject_token = params
        .get("subject_token")
        .ok_or_else(|| OAuthError::invalid_request("subject_token is missing"))?;
    let subject_token_type = params
        .get("subject_token_type")
        .ok_or_else(|| OAuthError::invalid_request("subject_token_type is missing"))?;
    if subject_token_type != TOKEN_TYPE_ACCESS_TOKEN && subject_token_type != TOKEN_TYPE_JWT {
        return Err(OAuthError::invalid_request(format!(
            "subject_token_type {subject_token_type:?} is not supported; use {TOKEN_TYPE_ACCESS_TOKEN}"
        )));
    }
    if params.has("actor_token") || params.has("actor_token_type") {
        return Err(OAuthError::invalid_request(
            "delegation (actor_token) is not supported by this server",
        ));
    }
    if let Some(requested) = params.get("requested_token_type")
        && requested != TOKEN_TYPE_ACCESS_TOKEN
    {
        return Err(OAuthError::invalid_request(format!(
            "requested_token_type {requested:?} cannot be issued; this server issues {TOKEN_TYPE_ACCESS_TOKEN}"
        )));
    }
    let subject = tokens::validate_access_token(server, subject_token)
        .await
        .map_err(|e| {
            e.store_failure().unwrap_or_else(|| {
                let refused =
                    OAuthError::invalid_request(format!("the subject_token is not valid: {e}"));
                match e.cause() {
                    Some(cause) => refused.with_cause(cause),
                    None => refused,
                }
            })
        })?;
    if subject.client_id != client.client_id && !subject.aud.contains(&client.client_id) {
        return Err(OAuthError::invalid_request(
            "the subject_token was not issued to this client",
        ));
    }
    if let Some(bound) = subject.jkt() {
        match dpop_jkt {
            Some(jkt) if jkt == bound => {}
            Some(_) => {
                return Err(OAuthError::invalid_request(
                    "the subject_token is DPoP-bound to another key than this request's proof",
                ));
            }
            None => {
                return Err(OAuthError::invalid_request(
                    "the subject_token is DPoP-bound: the exchange needs a DPoP proof signed by its key",
                ));
            }
        }
    }
    // RFC 8693 §2.1: `audience` and `resource` name where the new token
    // will be used; its authorization details stay within the subject's.
    let target = decide(
        server,
        client,
        params,
        Granted::Exchange {
            subject_details: subject.authorization_details.as_ref(),
        },
    )?;
    // Within what the subject token carried and what this client may have.
    let subject_scope = oauth_core::scope::Scope::parse(subject.scope.as_deref().unwrap_or(""))
        .map_err(OAuthError::invalid_request)?;
    let allowed = oauth_core::scope::Scope::from_tokens(
        subject_scope
            .iter()
            .filter(|t| client.scopes.contains(t))
            .map(str::to_owned),
    );
    let scope = requested_scope(params, &allowed, &allowed)?;
    Ok(Grant {
        subject: subject.sub,
        scope,
        // The new token joins the subject token's family: revoking the
        // grant revokes what was exchanged from it.
        grant_id: subject.sid,
        refresh_token: None,
        target,
        issued_token_type: Some(TOKEN_TYPE_ACCESS_TOKEN),
        oidc: None,
        expires_at_most: Some(subject.exp),
    })
}

#[cfg(test)]
mod tests;
