//! The public JWK set (RFC 7517 §5), referenced by the metadata's `jwks_uri`.
use oauth_core::http::{HttpRequest, HttpResponse};

use crate::AuthServer;

pub async fn handle(server: &AuthServer, request: &HttpRequest) -> HttpResponse {
    match super::plain_get(request) {
        Ok(()) => HttpResponse::json(200, &server.jwks)
            .with_header("content-type", "application/jwk-set+json"),
        Err(e) => e.to_response(),
    }
}
