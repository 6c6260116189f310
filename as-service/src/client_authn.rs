//! Client authentication at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3, §3.2.1; RFC 7662 §2.1; RFC 7009 §2.1).
use std::sync::Arc;

use oauth_core::client_auth::{self, AuthMethod};
use oauth_core::error::OAuthError;
use oauth_core::form::Params;
use oauth_core::http::HttpRequest;
use oauth_core::secret::Secret;

use crate::AuthServer;
use crate::config::{Client, ClientSecret};

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
    if let Some(assertion) = &presented.assertion {
        verify_assertion(server, request, &client, assertion)
            .await
            .map_err(|why| fail(&why))?;
        return Ok(client);
    }
    let ok = match (&client.secret, &presented.secret) {
        (Some(ClientSecret::Plain(expected)), Some(given)) => expected.matches(given.expose()),
        (Some(ClientSecret::Hashed(expected)), Some(given)) => {
            subtle::ConstantTimeEq::ct_eq(&server.secret_digest(given.expose())[..], &expected[..])
                .into()
        }
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

/// private_key_jwt (RFC 7523 §3, OIDC Core §9): signed by a key the client
/// registered, iss and sub the client, aud this server, unexpired, and its
/// jti never seen before.
async fn verify_assertion(
    server: &AuthServer,
    request: &HttpRequest,
    client: &Client,
    assertion: &str,
) -> Result<(), String> {
    use serde_json::Value;
    let jwks = client
        .jwks
        .as_ref()
        .ok_or("the client has no registered keys")?;
    let algs: Vec<oauth_core::jose::JwsAlgorithm> = crate::config::CLIENT_JWT_ALGS
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect();
    let verified = oauth_core::jose::verify(assertion, jwks, &algs)
        .map_err(|e| format!("client assertion: {e}"))?;
    let claims = &verified.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client.client_id.as_str())
        || text("sub") != Some(client.client_id.as_str())
    {
        return Err("the assertion's iss and sub must be the client_id".into());
    }
    // RFC 7523 §3 (3): the audience identifies this server: its issuer, or
    // the endpoint the assertion is presented to.
    let endpoint = oauth_core::dpop::htu(&request.url);
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences
        .iter()
        .any(|a| *a == server.config.issuer || *a == endpoint)
    {
        return Err(format!(
            "the assertion's aud {audiences:?} does not name this server"
        ));
    }
    let now = server.clock.now();
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or("the assertion has no exp")?;
    if exp <= now {
        return Err("the assertion has expired".into());
    }
    if let Some(nbf) = claims.get("nbf").and_then(Value::as_i64)
        && nbf > now + server.config.dpop.leeway
    {
        return Err("the assertion is not valid yet".into());
    }
    let jti = text("jti").ok_or("the assertion has no jti")?;
    // RFC 7523 §3 (7): one use per jti, remembered until the assertion expires.
    let key = format!("assertion\n{}\n{jti}", client.client_id);
    if !server.store.remember_once(key, exp, now).await {
        return Err("the assertion was already used (jti replay)".into());
    }
    Ok(())
}
