//! What this server offers, and nothing it lacks: OAuth 2.0 Authorization
//! Server Metadata (RFC 8414 §2, §3) and OpenID Provider Metadata (OIDC
//! Discovery 1.0 §3, §4) — one document, served at both well-known URLs.
use oauth_core::error::OAuthError;
use oauth_core::http::{HttpRequest, HttpResponse};

use crate::AuthServer;

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3.1, §3.2).
pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match super::plain_get(request) {
        Ok(()) => HttpResponse::json_text(200, server.metadata_text().to_owned()),
        Err(e) => OAuthError::to_response(&e),
    }
}

/// `GET /.well-known/openid-configuration` (OIDC Discovery 1.0 §4).
pub async fn provider_configuration(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    handle(server, request).await
}

#[cfg(test)]
mod tests;
