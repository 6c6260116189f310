//! Resource Owner Password Credentials Grant (RFC 6749 §4.3).
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::secret::Secret;

use super::{Grant, client_scope};
use crate::AuthServer;
use crate::config::Client;

/// Compared against for an unknown user, so its timing matches a wrong password.
const DECOY: &str = "decoy password";

/// RFC 6749 §4.3.2: `username` and `password` are required; wrong ones are
/// `invalid_grant` (RFC 6749 §5.2: "the provided authorization grant ... or
/// resource owner credentials are invalid").
pub fn grant(server: &AuthServer, client: &Client, params: &Params) -> Result<Grant, OAuthError> {
    let username = params
        .get("username")
        .ok_or_else(|| OAuthError::invalid_request("username is missing"))?;
    let password = params
        .get("password")
        .ok_or_else(|| OAuthError::invalid_request("password is missing"))?;
    let scope = client_scope(client, params)?;
    let ok = match server.config.users.get(username) {
        Some(user) => user.password.matches(password),
        None => {
            Secret::new(DECOY).matches(password);
            false
        }
    };
    if !ok {
        return Err(OAuthError::invalid_grant(
            "the resource owner credentials are invalid",
        ));
    }
    Ok(Grant::access_only(username.to_owned(), scope))
}
