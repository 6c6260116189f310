//! The token endpoint (RFC 6749 §3.2): authenticates the client, hands the
//! request to the grant it names, and mints a JWT access token (RFC 9068).
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::secret::Secret;
use oauth_core::token::TokenResponse;

use crate::AuthServer;
use crate::client_authn;
use crate::config::{self, Endpoint, GrantType};
use crate::grant;
use crate::tokens::{self, AccessTokenSpec};

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match issue(server, request).await {
        Ok(response) => response,
        Err(e) => {
            super::log_refusal("token", None, &e, "refused");
            e.to_response()
        }
    }
}

async fn issue(server: &AuthServer, request: &HttpRequest) -> Result<HttpResponse, OAuthError> {
    let params = super::post_form(request)?;
    let client = client_authn::authenticate(server, request, &params, Endpoint::Token).await?;
    // RFC 9449 §5: a proof binds what is issued to the proof's key.
    let proof = crate::dpop::check_proof(server, request, Endpoint::Token, None)
        .await
        .map_err(|e| crate::dpop::token_error(server, e))?;
    let jkt = proof.as_ref().map(|p| p.jkt.as_str());
    // RFC 9449 §5.2 (and FAPI 2.0 §5.3.2.1: sender-constrained tokens): a
    // client registered dpop_bound_access_tokens never gets a bearer token.
    if client.dpop_bound && proof.is_none() {
        return Err(OAuthError::invalid_request(
            "this client's tokens are DPoP-bound (dpop_bound_access_tokens): the token request needs a DPoP proof",
        ));
    }
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let grant_type = config::grant_type(grant_type).ok_or_else(|| {
        OAuthError::unsupported_grant_type(format!("grant type {grant_type:?} is not supported"))
    })?;
    if !client.grant_types.contains(&grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the {} grant",
            grant_type.as_str()
        )));
    }
    // The policy holds even for a client registered before it changed.
    crate::config::check_client_policy(&client, &server.config.token_exchange)
        .map_err(|e| OAuthError::unauthorized_client(e.to_string()))?;
    let grant = match grant_type {
        GrantType::AuthorizationCode => {
            grant::authorization_code::grant(server, &client, &params, jkt).await?
        }
        GrantType::RefreshToken => {
            grant::refresh_token::grant(server, &client, &params, jkt).await?
        }
        GrantType::TokenExchange => {
            grant::token_exchange::grant(server, &client, &params, jkt).await?
        }
        GrantType::ClientCredentials => grant::client_credentials::grant(server, &client, &params)?,
        GrantType::Password => grant::password::grant(server, &client, &params).await?,
        GrantType::DeviceCode => grant::device_code::grant(server, &client, &params, jkt).await?,
        GrantType::Implicit => {
            return Err(OAuthError::unsupported_grant_type(
                "implicit is answered by the authorization endpoint, not the token endpoint",
            ));
        }
        GrantType::JwtBearer => grant::jwt_bearer::grant(server, &client, &params).await?,
    };
    let lifetime = match grant.expires_at_most {
        Some(at_most) => client
            .access_token_lifetime
            .min(at_most - server.clock.now()),
        None => client.access_token_lifetime,
    };
    if lifetime <= 0 {
        return Err(OAuthError::invalid_grant("the grant has expired"));
    }
    let (access_token, expires_at) = tokens::mint_access_token(
        server,
        &AccessTokenSpec {
            client_id: &client.client_id,
            subject: &grant.subject,
            scope: &grant.scope,
            lifetime,
            audience: grant.target.audience(),
            grant_id: grant.grant_id.as_deref(),
            jkt,
            authorization_details: grant.target.authorization_details(),
        },
    )
    .await?;
    if let Some(grant_id) = &grant.grant_id {
        server.store.extend_grant(grant_id, expires_at).await?;
    }
    // DEBUG: one line per token would cost more than the token at tens of
    // thousands a second; refusals stay at INFO (endpoint::log_refusal).
    tracing::debug!(
        endpoint = "token",
        client_id = %client.client_id,
        grant_type = grant_type.as_str(),
        scope = %grant.scope,
        refresh_token = grant.refresh_token.is_some(),
        "issued an access token"
    );
    let id_token = match &grant.oidc {
        Some(oidc) => Some(crate::id_token::mint(
            server,
            &crate::id_token::IdTokenSpec {
                client: &client,
                subject: &grant.subject,
                user: &oidc.user,
                auth_time: oidc.auth_time,
                acr: oidc.acr.as_deref(),
                nonce: oidc.nonce.as_deref(),
                scope: &grant.scope,
                claims: oidc.claims.as_ref(),
                // The scope's claims come from UserInfo with the access token.
                scope_claims: false,
                access_token: Some(&access_token),
                code: None,
                sid: oidc.sid.as_deref(),
            },
        )?),
        None => None,
    };
    let body = TokenResponse {
        id_token: id_token.map(Secret::new),
        access_token: Secret::new(access_token),
        token_type: if jkt.is_some() { "DPoP" } else { "Bearer" }.into(),
        expires_in: Some(lifetime),
        refresh_token: grant.refresh_token,
        scope: (!grant.scope.is_empty()).then(|| grant.scope.to_string()),
        issued_token_type: grant.issued_token_type.map(str::to_owned),
        authorization_details: grant.target.into_authorization_details(),
    };
    // Encoded straight to text: no JSON tree between the struct and the body.
    let body = serde_json::to_string(&body).map_err(|e| {
        OAuthError::server_error("the token response could not be encoded").with_cause(e)
    })?;
    let mut response = HttpResponse::json_text_no_store(200, body);
    if server.config.dpop.require_nonce && proof.is_some() {
        response = response.with_header("dpop-nonce", crate::dpop::current_nonce(server));
    }
    Ok(response)
}

#[cfg(test)]
mod tests;
