//! Authorization Server Metadata (RFC 8414 §2, §3): what this server really
//! offers, and nothing it lacks.
use oauth_core::discovery::endpoint_url;
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::scope::Scope;
use serde_json::{Value, json};

use crate::AuthServer;
use crate::config::{AUTH_METHODS, Config, ConfigError, GrantType};

/// Path of the token endpoint under the issuer.
pub const TOKEN_PATH: &str = "token";
/// Path of the JWK set under the issuer.
pub const JWKS_PATH: &str = "jwks.json";

/// Builds the metadata document once, at start.
pub fn document(config: &Config) -> Result<Value, ConfigError> {
    let url = |path: &str| {
        endpoint_url(&config.issuer, path)
            .map(String::from)
            .map_err(|e| ConfigError(format!("issuer: {e}")))
    };
    let scopes = config.clients.values().fold(Scope::default(), |acc, c| {
        Scope::from_tokens(acc.iter().chain(c.scopes.iter()).map(str::to_owned))
    });
    Ok(json!({
        "issuer": config.issuer,
        "token_endpoint": url(TOKEN_PATH)?,
        "jwks_uri": url(JWKS_PATH)?,
        "grant_types_supported": GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_methods_supported":
            AUTH_METHODS.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
        "scopes_supported": scopes.iter().collect::<Vec<_>>(),
        // REQUIRED by RFC 8414 §2; empty until the server has an authorization endpoint.
        "response_types_supported": [],
    }))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3.1, §3.2).
pub fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match super::plain_get(request) {
        Ok(()) => HttpResponse::json(200, &server.metadata),
        Err(e) => OAuthError::to_response(&e),
    }
}
