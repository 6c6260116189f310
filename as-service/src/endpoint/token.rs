//! The token endpoint (RFC 6749 §3.2): authenticates the client, hands the
//! request to the grant it names, and mints a JWT access token (RFC 9068).
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::random;
use oauth_core::token::{ACCESS_TOKEN_TYP, AccessTokenClaims, Audience, TokenResponse};

use crate::AuthServer;
use crate::client_authn;
use crate::config::{Client, GrantType};
use crate::grant::{self, Grant};

pub fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match issue(server, request) {
        Ok(response) => response,
        Err(e) => {
            tracing::info!(endpoint = "token", status = e.status, error = %e.code, "refused");
            e.to_response()
        }
    }
}

fn issue(server: &AuthServer, request: &HttpRequest) -> Result<HttpResponse, OAuthError> {
    let params = super::post_form(request)?;
    let client = client_authn::authenticate(server, request, &params)?;
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let grant_type = GrantType::parse(grant_type).ok_or_else(|| {
        OAuthError::unsupported_grant_type(format!("grant type {grant_type:?} is not supported"))
    })?;
    if !client.grant_types.contains(&grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client may not use the {} grant",
            grant_type.as_str()
        )));
    }
    let grant = match grant_type {
        GrantType::ClientCredentials => grant::client_credentials::grant(client, &params)?,
        GrantType::Password => grant::password::grant(server, client, &params)?,
    };
    let body = mint(server, client, &grant)?;
    tracing::info!(
        endpoint = "token",
        client_id = %client.client_id,
        grant_type = grant_type.as_str(),
        scope = %grant.scope,
        "issued an access token"
    );
    let body = serde_json::to_value(body).map_err(|e| OAuthError::server_error(e.to_string()))?;
    Ok(HttpResponse::json_no_store(200, &body))
}

/// Signs an RFC 9068 access token for a grant and builds the token response.
pub fn mint(
    server: &AuthServer,
    client: &Client,
    grant: &Grant,
) -> Result<TokenResponse, OAuthError> {
    let now = server.clock.now();
    let lifetime = client.access_token_lifetime;
    let scope = (!grant.scope.is_empty()).then(|| grant.scope.to_string());
    let claims = AccessTokenClaims {
        iss: server.config.issuer.clone(),
        sub: grant.subject.clone(),
        aud: Audience::from_list(server.config.audience.clone()),
        exp: now + lifetime,
        iat: now,
        jti: random::token(16),
        client_id: client.client_id.clone(),
        scope: scope.clone(),
    };
    let key = server
        .keys
        .signing_key(server.config.access_token_alg)
        .ok_or_else(|| OAuthError::server_error("no signing key"))?;
    let access_token = key.sign(ACCESS_TOKEN_TYP, &claims).map_err(|e| {
        tracing::error!(error = %e, "signing an access token failed");
        OAuthError::server_error("the token could not be signed")
    })?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: Some(lifetime),
        refresh_token: None,
        scope,
    })
}
