//! One module per grant type. A grant handler checks the grant-specific
//! parameters and says who the access token is for, with what scope, in
//! which grant, and which refresh token (already stored) goes with it; the
//! token endpoint then mints the access token.
pub mod authorization_code;
pub(crate) mod authorization_details;
pub mod client_credentials;
pub mod device_code;
pub mod jwt_bearer;
pub mod password;
pub mod refresh_token;
pub(crate) mod resource;
pub mod token_exchange;

use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::scope::Scope;

use crate::config::Client;

/// What a grant authorises.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// The resource owner, or the client itself when it acts on its own behalf.
    pub subject: String,
    /// The scope of the access token.
    pub scope: Scope,
    /// The grant (token family) the access token belongs to.
    pub grant_id: Option<String>,
    /// A refresh token to hand out with the access token, already stored.
    pub refresh_token: Option<String>,
    /// An audience other than the default (token exchange).
    pub audience: Option<Vec<String>>,
    /// `issued_token_type`, for token exchange responses (RFC 8693 §2.2.1).
    pub issued_token_type: Option<&'static str>,
    /// Set when an ID token goes with the access token (OIDC Core §3.1.3.3).
    pub oidc: Option<OidcGrant>,
    /// The access token may not outlive this (a token exchange's subject token).
    pub expires_at_most: Option<i64>,
    /// The authorization details the access token carries (RFC 9396).
    pub authorization_details: Option<serde_json::Value>,
}

/// What an ID token minted at the token endpoint is about.
#[derive(Debug, Clone, PartialEq)]
pub struct OidcGrant {
    pub user: String,
    pub auth_time: i64,
    pub acr: Option<String>,
    pub nonce: Option<String>,
    pub claims: Option<oauth_core::oidc::ClaimsRequest>,
    /// The login session (OIDC Back-Channel Logout §2.1).
    pub sid: Option<String>,
}

impl Grant {
    /// A grant of just an access token.
    pub fn access_only(subject: String, scope: Scope) -> Self {
        Self {
            subject,
            scope,
            grant_id: None,
            refresh_token: None,
            audience: None,
            issued_token_type: None,
            oidc: None,
            expires_at_most: None,
            authorization_details: None,
        }
    }
}

/// The scope of a request (RFC 6749 §3.3): the requested scope, which must
/// lie within `allowed`, or else `default`.
pub(crate) fn requested_scope(
    params: &Params,
    allowed: &Scope,
    default: &Scope,
) -> Result<Scope, OAuthError> {
    let Some(raw) = params.get("scope") else {
        return Ok(default.clone());
    };
    let scope = Scope::parse(raw).map_err(OAuthError::invalid_scope)?;
    if scope.is_empty() {
        return Ok(default.clone());
    }
    let refused: Vec<&str> = scope.not_in(allowed).collect();
    if !refused.is_empty() {
        return Err(OAuthError::invalid_scope(format!(
            "scope not allowed here: {}",
            refused.join(" ")
        )));
    }
    Ok(scope)
}

/// The scope a client asks for, within what it may have.
pub(crate) fn client_scope(client: &Client, params: &Params) -> Result<Scope, OAuthError> {
    requested_scope(params, &client.scopes, &client.default_scope)
}

#[cfg(test)]
mod tests;
