//! Client Credentials Grant (RFC 6749 §4.4): the client acts on its own
//! behalf, so its authentication is the whole grant.
use oauth_core::error::OAuthError;
use oauth_core::form::Params;

use super::target::{Granted, decide};
use super::{Grant, client_scope};
use crate::AuthServer;
use crate::config::Client;

/// RFC 6749 §4.4.2: `grant_type=client_credentials`, optional `scope`. No
/// refresh token (RFC 6749 §4.4.3).
pub fn grant(server: &AuthServer, client: &Client, params: &Params) -> Result<Grant, OAuthError> {
    let scope = client_scope(client, params)?;
    // RFC 8707 §2.2, RFC 9396 §6: resources and details asked for at the
    // token endpoint alone.
    let target = decide(server, client, params, Granted::TokenRequest)?;
    // RFC 9068 §2.2: with no resource owner, `sub` is the client.
    Ok(Grant::access_only(client.client_id.clone(), scope, target))
}

#[cfg(test)]
mod tests;
