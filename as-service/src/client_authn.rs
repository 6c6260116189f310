//! Client authentication at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3, §3.2.1; RFC 7662 §2.1; RFC 7009 §2.1).
use std::sync::Arc;

use oauth_core::client_auth::{self, AuthMethod};
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::http::HttpRequest;
use oauth_core::secret::Secret;

use crate::AuthServer;
use crate::config::Client;

/// Compared against when the client is unknown, so that an unknown id costs
/// the same time as a wrong secret.
const DECOY: &str = "decoy secret of a typical length";

/// Authenticates the client of a request and returns its registration.
pub async fn authenticate(
    server: &AuthServer,
    request: &HttpRequest,
    params: &Params,
) -> Result<Arc<Client>, OAuthError> {
    let realm = server.realm();
    let fail = |why: &str| {
        OAuthError::invalid_client(format!("client authentication failed: {why}"), realm)
    };
    let presented = client_auth::presented(request.header("authorization"), params, realm)?
        .ok_or_else(|| fail("the request carries no client credentials"))?;
    let Some(client) = server.client(&presented.client_id).await else {
        if let Some(secret) = &presented.secret {
            Secret::new(DECOY).matches(secret.expose());
        }
        return Err(fail("unknown client_id"));
    };
    if presented.method == AuthMethod::None {
        // A public client identifies itself only (RFC 6749 §2.1); its
        // protection is PKCE and the redirect URI, not a secret.
        if client.is_public() {
            return Ok(client);
        }
        return Err(fail(
            "this client must authenticate (client_secret_basic or client_secret_post)",
        ));
    }
    if !client.auth_methods.contains(&presented.method) {
        return Err(fail(&format!(
            "this client is not registered for {}",
            presented.method
        )));
    }
    let ok = match (&client.secret, &presented.secret) {
        (Some(expected), Some(given)) => expected.matches(given.expose()),
        _ => false,
    };
    if !ok {
        return Err(fail("the client secret does not match"));
    }
    // RFC 7591 §3.2.1: client_secret_expires_at.
    if client
        .secret_expires_at
        .is_some_and(|at| at <= server.clock.now())
    {
        return Err(fail("the client secret has expired"));
    }
    Ok(client)
}
