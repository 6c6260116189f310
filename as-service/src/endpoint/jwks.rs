//! The public JWK set (RFC 7517 §5), referenced by the metadata's `jwks_uri`.
use oauth_core::http::{HttpRequest, HttpResponse};

use crate::AuthServer;

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match super::plain_get(request) {
        // Keys published ahead of signing, and retired keys until every
        // token they signed has expired.
        Ok(()) => HttpResponse::json(200, &server.keys().set.public_jwks_at(server.clock.now()))
            .with_header("content-type", "application/jwk-set+json"),
        Err(e) => e.to_response(),
    }
}

#[cfg(test)]
mod tests;
