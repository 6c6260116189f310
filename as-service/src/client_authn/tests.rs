//! client_secret_jwt (OIDC Core §9) at the token endpoint: an HS256
//! assertion under the client's secret authenticates it; any other key, a
//! replay, or the secret itself sent by another method does not.
use oauth_core::client_auth::{JWT_BEARER_ASSERTION, client_secret_assertion};
use oauth_core::http::HttpResponse;
use oauth_core::secret::Secret;

use crate::AuthServer;
use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

const HMAC_CLIENT: (&str, &str) = (
    "client_hmac",
    "a shared HMAC key, thirty-two bytes at the very least",
);

async fn with_assertion(server: &AuthServer, assertion: &str) -> HttpResponse {
    let token_url = url(server, Endpoint::Token);
    let request = post(
        &token_url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", HMAC_CLIENT.0),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", assertion),
        ],
    );
    handle(server, &request).await
}

fn assertion_under(server: &AuthServer, secret: &str) -> String {
    client_secret_assertion(
        &Secret::new(secret),
        HMAC_CLIENT.0,
        &url(server, Endpoint::Token),
        NOW,
    )
    .unwrap()
}

/// OIDC Core §9: an HS256 assertion MACed with the secret authenticates.
#[tokio::test]
async fn an_assertion_under_the_client_secret_authenticates() {
    let server = server();
    let response = with_assertion(&server, &assertion_under(&server, HMAC_CLIENT.1)).await;
    assert_eq!(response.status, 200, "{}", response.body);
}

/// OIDC Core §9: a MAC under any other key is invalid_client.
#[tokio::test]
async fn an_assertion_under_another_secret_is_invalid_client() {
    let server = server();
    let forged = assertion_under(&server, "another key, also thirty-two bytes long at least");
    let response = with_assertion(&server, &forged).await;
    assert_eq!(response.status, 401);
    assert_eq!(error(&response), "invalid_client");
}

/// RFC 7523 §3 (7): the jti is single-use for HMAC assertions too.
#[tokio::test]
async fn a_replayed_hmac_assertion_is_invalid_client() {
    let server = server();
    let assertion = assertion_under(&server, HMAC_CLIENT.1);
    assert_eq!(with_assertion(&server, &assertion).await.status, 200);
    let again = with_assertion(&server, &assertion).await;
    assert_eq!(error(&again), "invalid_client");
}

/// The registered method is the only one: the secret in Basic is refused.
#[tokio::test]
async fn the_secret_sent_by_basic_is_invalid_client() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        HMAC_CLIENT,
        &[("grant_type", "client_credentials")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_client");
}

/// A private_key_jwt client cannot be authenticated by an HMAC under its
/// (absent) secret, nor a secret client by anyone's HMAC: the method a
/// client registered decides the key.
#[tokio::test]
async fn an_hmac_assertion_for_a_client_of_another_method_is_invalid_client() {
    let server = server();
    let assertion = client_secret_assertion(
        &Secret::new(CODE_CLIENT.1.repeat(3)),
        CODE_CLIENT.0,
        &url(&server, Endpoint::Token),
        NOW,
    )
    .unwrap();
    let request = post(
        &url(&server, Endpoint::Token),
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", &assertion),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_client");
}

/// RFC 7518 §3.2: a configured client_secret_jwt secret under 32 bytes is refused.
#[test]
fn a_short_hmac_secret_is_refused_in_the_configuration() {
    let file: crate::config::ClientFileConfig = toml::from_str(
        r#"
client_id = "short"
client_secret = "too short"
token_endpoint_auth_methods = ["client_secret_jwt"]
grant_types = ["client_credentials"]
"#,
    )
    .unwrap();
    let config = config();
    let refused =
        crate::config::validate_client(file, &config.audience, config.access_token_lifetime)
            .unwrap_err();
    assert!(refused.to_string().contains("32 bytes"), "{refused}");
}
