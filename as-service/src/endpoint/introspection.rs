//! Token introspection (RFC 7662): an authenticated client asks whether a
//! token is active. A token that is unknown, expired, revoked, or not this
//! client's to ask about is simply `{"active": false}` (RFC 7662 §2.2).
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::secret::fingerprint;
use serde_json::{Value, json};

use crate::AuthServer;
use crate::client_authn;
use crate::config::Client;
use crate::tokens;

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match introspect(server, request).await {
        Ok(body) => HttpResponse::json_no_store(200, &body),
        Err(e) => {
            super::log_refusal("introspection", None, &e, "refused");
            e.to_response()
        }
    }
}

async fn introspect(server: &AuthServer, request: &HttpRequest) -> Result<Value, OAuthError> {
    let params = super::post_form(request)?;
    let client = client_authn::authenticate(
        server,
        request,
        &params,
        crate::config::Endpoint::Introspection,
    )
    .await?;
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "introspection requires client authentication; a public client cannot introspect",
            server.realm(),
        ));
    }
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    // The hint only orders the search (RFC 7662 §2.1).
    let refresh_first = params.get("token_type_hint") == Some("refresh_token");
    let found = if refresh_first {
        match refresh_token(server, &client, token).await? {
            Some(v) => Some(v),
            None => access_token(server, &client, token).await?,
        }
    } else {
        match access_token(server, &client, token).await? {
            Some(v) => Some(v),
            None => refresh_token(server, &client, token).await?,
        }
    };
    Ok(found.unwrap_or_else(|| json!({ "active": false })))
}

async fn access_token(
    server: &AuthServer,
    client: &Client,
    token: &str,
) -> Result<Option<Value>, OAuthError> {
    let claims = match tokens::validate_access_token(server, token).await {
        Ok(claims) => claims,
        Err(e) => return e.store_failure().map_or(Ok(None), Err),
    };
    // RFC 7662 §4: only the client the token was issued to, or one it is meant for, may learn about it.
    if claims.client_id != client.client_id && !claims.aud.contains(&client.client_id) {
        return Ok(None);
    }
    let mut body = json!({
        "active": true,
        "client_id": claims.client_id,
        // RFC 9449 §6.2: a bound token says so, and to which key.
        "token_type": if claims.cnf.is_some() { "DPoP" } else { "Bearer" },
        "exp": claims.exp,
        "iat": claims.iat,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "jti": claims.jti,
    });
    if let Some(scope) = claims.scope {
        body["scope"] = Value::String(scope);
    }
    if let Some(cnf) = claims.cnf {
        body["cnf"] = cnf;
    }
    // RFC 9396 §9.2: the details the token was granted.
    if let Some(details) = claims.authorization_details {
        body["authorization_details"] = details;
    }
    Ok(Some(body))
}

async fn refresh_token(
    server: &AuthServer,
    client: &Client,
    token: &str,
) -> Result<Option<Value>, OAuthError> {
    let Some(record) = server.store.refresh(&fingerprint(token)).await? else {
        return Ok(None);
    };
    let Some(grant) = server.store.grant(&record.grant_id).await? else {
        return Ok(None);
    };
    let now = server.clock.now();
    if record.rotated
        || record.expires_at <= now
        || grant.revoked
        || grant.client_id != client.client_id
    {
        return Ok(None);
    }
    Ok(Some(json!({
        "active": true,
        "client_id": grant.client_id,
        "token_type": "refresh_token",
        "exp": record.expires_at,
        "sub": grant.subject,
        "iss": server.config.issuer,
        "scope": grant.scope.to_string(),
    })))
}

#[cfg(test)]
mod tests;
