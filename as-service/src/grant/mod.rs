//! One module per grant type. A grant handler checks the grant-specific
//! parameters and says who the token is for and with what scope; the token
//! endpoint then mints the token.
pub mod client_credentials;
pub mod password;

use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::scope::Scope;

use crate::config::Client;

/// What a grant authorises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The resource owner, or the client itself when it acts on its own behalf.
    pub subject: String,
    pub scope: Scope,
}

/// The scope of a token request (RFC 6749 §3.3): the requested scope, which
/// must lie within what the client may have, or the client's default.
pub(crate) fn requested_scope(client: &Client, params: &Params) -> Result<Scope, OAuthError> {
    let Some(raw) = params.get("scope") else {
        return Ok(client.default_scope.clone());
    };
    let scope = Scope::parse(raw).map_err(OAuthError::invalid_scope)?;
    if scope.is_empty() {
        return Ok(client.default_scope.clone());
    }
    let refused: Vec<&str> = scope.not_in(&client.scopes).collect();
    if !refused.is_empty() {
        return Err(OAuthError::invalid_scope(format!(
            "scope not allowed for this client: {}",
            refused.join(" ")
        )));
    }
    Ok(scope)
}
