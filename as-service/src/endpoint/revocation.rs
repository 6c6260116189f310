//! Token revocation (RFC 7009). Revoking a refresh token revokes its whole
//! grant, access tokens included (RFC 7009 §2.1); revoking an access token
//! revokes that token. An unknown token is not an error (§2.2).
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::secret::fingerprint;

use crate::AuthServer;
use crate::client_authn;
use crate::tokens;

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match revoke(server, request).await {
        Ok(()) => HttpResponse::empty_no_store(200),
        Err(e) => {
            super::log_refusal("revocation", None, &e, "refused");
            e.to_response()
        }
    }
}

async fn revoke(server: &AuthServer, request: &HttpRequest) -> Result<(), OAuthError> {
    let params = super::post_form(request)?;
    let client = client_authn::authenticate(
        server,
        request,
        &params,
        crate::config::Endpoint::Revocation,
    )
    .await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let not_yours = || OAuthError::invalid_request("the token was not issued to this client");
    if let Some(record) = server.store.refresh(&fingerprint(token)).await? {
        if let Some(grant) = server.store.grant(&record.grant_id).await? {
            if grant.client_id != client.client_id {
                return Err(not_yours());
            }
            server.store.revoke_grant(&grant.grant_id).await?;
            tracing::info!(endpoint = "revocation", client_id = %client.client_id, "revoked a refresh token and its grant");
        }
        return Ok(());
    }
    let inspected = match tokens::inspect_access_token(server, token).await {
        Ok(inspected) => Some(inspected),
        Err(e) => match e.store_failure() {
            Some(failure) => return Err(failure),
            None => None,
        },
    };
    if let Some((claims, _)) = inspected {
        if claims.client_id != client.client_id {
            return Err(not_yours());
        }
        server
            .store
            .revoke_access_token(claims.jti, claims.exp)
            .await?;
        tracing::info!(endpoint = "revocation", client_id = %client.client_id, "revoked an access token");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
