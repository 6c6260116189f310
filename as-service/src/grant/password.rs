//! Resource Owner Password Credentials Grant (RFC 6749 §4.3).
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::secret::Secret;

use super::target::{Granted, decide};
use super::{Grant, client_scope};
use crate::AuthServer;
use crate::config::Client;

/// Compared against for an unknown user, so its timing matches a wrong password.
const DECOY: &str = "decoy password";

/// RFC 6749 §4.3.2: `username` and `password` are required; wrong ones are
/// `invalid_grant` (RFC 6749 §5.2: "the provided authorization grant ... or
/// resource owner credentials are invalid"). The endpoint "MUST protect
/// against brute force attacks" (§4.3.2): failed attempts are counted per
/// user and per client over a window; over either limit, every attempt is
/// refused, right password or not, until the window ends.
pub async fn grant(
    server: &AuthServer,
    client: &Client,
    params: &Params,
) -> Result<Grant, OAuthError> {
    let username = params
        .get("username")
        .ok_or_else(|| OAuthError::invalid_request("username is missing"))?;
    let password = params
        .get("password")
        .ok_or_else(|| OAuthError::invalid_request("password is missing"))?;
    let scope = client_scope(client, params)?;
    // RFC 8707 §2.2, RFC 9396 §6: the token request alone names the target.
    let target = decide(server, client, params, Granted::TokenRequest)?;
    let settings = &server.config.password_grant;
    let now = server.clock.now();
    let user_key = format!("password-failures\nuser\n{username}");
    let client_key = format!("password-failures\nclient\n{}", client.client_id);
    for (key, limit, whom) in [
        (&user_key, settings.max_failures_per_user, "this user"),
        (&client_key, settings.max_failures_per_client, "this client"),
    ] {
        let (failures, ends) = server.store.count(key, now).await?;
        if failures >= limit {
            tracing::warn!(client_id = %client.client_id, "password grant throttled");
            let mut e = OAuthError::invalid_grant(format!(
                "too many failed password attempts for {whom}; try again in {} s",
                ends - now
            ));
            e.extra_headers
                .push(("retry-after".into(), (ends - now).max(1).to_string()));
            return Err(e);
        }
    }
    let ok = match server.config.users.get(username) {
        Some(user) => user.password.matches(password),
        None => {
            Secret::new(DECOY).matches(password);
            false
        }
    };
    if !ok {
        let window_ends = now + settings.failure_window;
        server.store.hit(&user_key, window_ends, now).await?;
        server.store.hit(&client_key, window_ends, now).await?;
        return Err(OAuthError::invalid_grant(
            "the resource owner credentials are invalid",
        ));
    }
    // The `sub` this client knows the user by (OIDC Core §8).
    Ok(Grant::access_only(
        server.subject_for(client, username),
        scope,
        target,
    ))
}

#[cfg(test)]
mod tests;
