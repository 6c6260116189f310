//! What an access token is for beyond its scope, decided here for every
//! grant the token endpoint serves: its audience (RFC 8707 resource
//! indicators) and the authorization details it carries (RFC 9396).
//!
//! An authorization request — at the authorization, PAR or device
//! authorization endpoint — names a target that its grant then holds
//! ([`requested`]). A token request narrows within what was granted, never
//! beyond it ([`decide`]). The result, [`TokenFor`], can be made nowhere
//! else, and the `Grant` a grant module returns cannot be made without
//! one, so no grant mints a token whose target was not decided here.
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;
use serde_json::Value;

use crate::AuthServer;
use crate::config::Client;
use crate::store::TokenTarget;

/// What a token request is measured against.
#[derive(Debug, Clone, Copy)]
pub enum Granted<'a> {
    /// A grant an authorization request created (a code, a device code)
    /// or its refresh: the token request names some of the resources and
    /// details granted, or gets them all (RFC 8707 §2.2, RFC 9396 §6).
    Authorized(&'a TokenTarget),
    /// No authorization request came first (client credentials, password,
    /// JWT bearer): the token request alone names the target, within what
    /// the client may have (RFC 8707 §2.2, RFC 9396 §6).
    TokenRequest,
    /// Token exchange (RFC 8693 §2.1): `audience` and `resource` name where
    /// the new token will be used — any target the client may obtain
    /// tokens for, since another audience is what an exchange is for —
    /// and its authorization details narrow within the subject token's,
    /// as a refresh's do within its grant's (RFC 8693 §5: the exchange
    /// adds nothing the subject token did not carry).
    Exchange { subject_details: Option<&'a Value> },
}

/// Where an access token may be used and what it may do there: made by
/// [`decide`] alone.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenFor {
    audience: Option<Vec<String>>,
    authorization_details: Option<Value>,
}

impl TokenFor {
    /// The token's `aud`; `None`: the server's default audience.
    pub fn audience(&self) -> Option<&[String]> {
        self.audience.as_deref()
    }

    /// The authorization details the token carries (RFC 9396 §7, §9).
    pub fn authorization_details(&self) -> Option<&Value> {
        self.authorization_details.as_ref()
    }

    /// The authorization details, for the token response (RFC 9396 §7).
    pub fn into_authorization_details(self) -> Option<Value> {
        self.authorization_details
    }
}

/// The target an authorization request names (RFC 8707 §2, RFC 9396 §2),
/// checked: each resource one the client may obtain tokens for
/// (`invalid_target`), each detail of a type it may use
/// (`invalid_authorization_details`). Kept with the code or device code,
/// then with the grant.
pub(crate) fn requested(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<TokenTarget, OAuthError> {
    let resources = super::resource::requested(client, params)?;
    let details = super::authorization_details::requested(server, client, params)?;
    Ok(TokenTarget {
        resources,
        authorization_details: details.as_ref().map(ToString::to_string),
    })
}

/// The target of the access token a token request gets from `granted`.
pub fn decide(
    server: &AuthServer,
    client: &Client,
    params: &Params,
    granted: Granted<'_>,
) -> Result<TokenFor, OAuthError> {
    let (resources, authorization_details) = match granted {
        Granted::Authorized(target) => (
            narrow_resources(client, params, &target.resources)?,
            narrow_details(server, client, params, stored_details(target)?)?,
        ),
        Granted::TokenRequest => (
            super::resource::requested(client, params)?,
            super::authorization_details::requested(server, client, params)?,
        ),
        Granted::Exchange { subject_details } => (
            exchange_audiences(client, params)?,
            narrow_details(server, client, params, subject_details.cloned())?,
        ),
    };
    Ok(TokenFor {
        audience: (!resources.is_empty()).then_some(resources),
        authorization_details,
    })
}

/// RFC 8707 §2.2: the resources the token request names, each one the
/// grant named when it named any; with none named, all the grant named.
fn narrow_resources(
    client: &Client,
    params: &Params,
    granted: &[String],
) -> Result<Vec<String>, OAuthError> {
    let asked = super::resource::requested(client, params)?;
    if asked.is_empty() {
        return Ok(granted.to_vec());
    }
    if !granted.is_empty()
        && let Some(outside) = asked.iter().find(|r| !granted.contains(r))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidTarget,
            format!("resource {outside:?} was not part of the authorization grant"),
        ));
    }
    Ok(asked)
}

/// The details a grant holds, as kept (canonical JSON).
fn stored_details(target: &TokenTarget) -> Result<Option<Value>, OAuthError> {
    target
        .authorization_details
        .as_deref()
        .map(|text| {
            serde_json::from_str(text).map_err(|e| {
                OAuthError::server_error("the stored authorization details cannot be read")
                    .with_cause(format!("stored authorization_details: {e}"))
            })
        })
        .transpose()
}

/// RFC 9396 §6: the details the token request names, each one the grant
/// holds; with none named, all the grant holds.
fn narrow_details(
    server: &AuthServer,
    client: &Client,
    params: &Params,
    granted: Option<Value>,
) -> Result<Option<Value>, OAuthError> {
    let Some(asked) = super::authorization_details::requested(server, client, params)? else {
        return Ok(granted);
    };
    let held = granted
        .as_ref()
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let details = asked.as_array().map(Vec::as_slice).unwrap_or_default();
    if let Some(outside) = details.iter().find(|d| !held.contains(d)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidAuthorizationDetails,
            format!("the authorization details {outside} were not granted"),
        ));
    }
    Ok(Some(asked))
}

/// RFC 8693 §2.1: `audience` (any name, logical or a URI) and `resource`
/// (an absolute URI, RFC 8707 §2) both say where the new token will be
/// used; each must be one this client may obtain tokens for, else
/// `invalid_target` (§2.2.2). In order, once each.
fn exchange_audiences(client: &Client, params: &Params) -> Result<Vec<String>, OAuthError> {
    let mut audiences: Vec<String> = Vec::new();
    for audience in params.get_all("audience") {
        if !client.audiences.iter().any(|a| a == audience) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("this client may not obtain tokens for audience {audience:?}"),
            ));
        }
        if !audiences.iter().any(|a| a == audience) {
            audiences.push(audience.to_owned());
        }
    }
    for resource in super::resource::requested(client, params)? {
        if !audiences.contains(&resource) {
            audiences.push(resource);
        }
    }
    Ok(audiences)
}

#[cfg(test)]
mod tests;
