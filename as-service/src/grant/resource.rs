//! Resource indicators (RFC 8707): the `resource` parameters of an
//! authorization or token request name where the access token will be
//! used, and the token is audience-restricted to them. A resource is one of
//! the audiences the client may obtain tokens for; anything else is
//! `invalid_target`. What a token is then for is decided in `grant::target`.
use oauth_core::error::{ErrorCode, OAuthError};
use oauth_core::form::Params;

use crate::config::Client;

/// The resources a request names, each an absolute URI without a fragment
/// (RFC 8707 §2) that this client may obtain tokens for, in order, once each.
pub(super) fn requested(client: &Client, params: &Params) -> Result<Vec<String>, OAuthError> {
    let mut resources: Vec<String> = Vec::new();
    for resource in params.get_all("resource") {
        let absolute = url::Url::parse(resource).is_ok_and(|u| u.fragment().is_none());
        if !absolute {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("resource {resource:?} must be an absolute URI without a fragment"),
            ));
        }
        if !client.audiences.iter().any(|a| a == resource) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("resource {resource:?} is unknown or not permitted for this client"),
            ));
        }
        if !resources.iter().any(|r| r == resource) {
            resources.push(resource.to_owned());
        }
    }
    Ok(resources)
}

#[cfg(test)]
mod tests;
