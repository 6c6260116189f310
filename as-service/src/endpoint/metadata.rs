//! Authorization Server Metadata (RFC 8414 §2, §3): what this server really
//! offers, and nothing it lacks.
use oauth_core::discovery::endpoint_url;
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::scope::Scope;
use serde_json::{Value, json};

use crate::AuthServer;
use crate::config::{AUTH_METHODS, Config, ConfigError, GrantType, RESPONSE_TYPES};

/// Paths of the endpoints under the issuer.
pub const AUTHORIZATION_PATH: &str = "authorization";
pub const TOKEN_PATH: &str = "token";
pub const INTROSPECTION_PATH: &str = "introspection";
pub const REVOCATION_PATH: &str = "revocation";
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
    let auth_methods: Vec<&str> = AUTH_METHODS.iter().map(|m| m.as_str()).collect();
    let mut pkce_methods = vec!["S256"];
    if config.pkce_plain_allowed {
        pkce_methods.push("plain");
    }
    Ok(json!({
        "issuer": config.issuer,
        "authorization_endpoint": url(AUTHORIZATION_PATH)?,
        "token_endpoint": url(TOKEN_PATH)?,
        "jwks_uri": url(JWKS_PATH)?,
        "introspection_endpoint": url(INTROSPECTION_PATH)?,
        "revocation_endpoint": url(REVOCATION_PATH)?,
        "scopes_supported": scopes.iter().collect::<Vec<_>>(),
        "response_types_supported": RESPONSE_TYPES,
        "response_modes_supported": ["query"],
        "grant_types_supported": GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "token_endpoint_auth_methods_supported": auth_methods,
        // Introspection is for clients that can authenticate (RFC 7662 §2.1).
        "introspection_endpoint_auth_methods_supported":
            auth_methods.iter().filter(|m| **m != "none").collect::<Vec<_>>(),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": pkce_methods,
        // RFC 9207 §3: the authorization response carries `iss`.
        "authorization_response_iss_parameter_supported": true,
    }))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3.1, §3.2).
pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match super::plain_get(request) {
        Ok(()) => HttpResponse::json(200, &server.metadata),
        Err(e) => OAuthError::to_response(&e),
    }
}
