use oauth_core::http::HttpRequest;
use serde_json::json;

use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

fn register(server: &crate::AuthServer, metadata: &serde_json::Value) -> HttpRequest {
    HttpRequest::new(
        "POST",
        &url(server, Endpoint::Registration),
        [("Content-Type", "application/json")],
        metadata.to_string(),
    )
    .unwrap()
}

/// RFC 7591 §3.2.1: a registered client gets an id and a secret.
#[tokio::test]
async fn registers_a_client() {
    let server = server();
    let request = register(
        &server,
        &json!({ "redirect_uris": ["https://rp.example.org/cb"] }),
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let body = json(&response);
    assert!(body["client_id"].is_string());
    assert!(body["client_secret"].is_string());
}

/// RFC 7591 §2, RFC 7517 §5: a jwks with a private member is refused.
#[tokio::test]
async fn refuses_a_private_key_in_jwks() {
    let server = server();
    let key = json!({
        "kty": "EC", "crv": "P-256", "kid": "k",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"
    });
    let request = register(
        &server,
        &json!({
            "redirect_uris": ["https://rp.example.org/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": { "keys": [key] }
        }),
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_client_metadata");
}

/// RFC 7591 §3.2.2: a redirect URI with a fragment is invalid_redirect_uri.
#[tokio::test]
async fn refuses_a_redirect_uri_with_a_fragment() {
    let server = server();
    let request = register(
        &server,
        &json!({ "redirect_uris": ["https://rp.example.org/cb#x"] }),
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_redirect_uri");
}

/// client_secret_jwt needs the secret in the clear, and a registered
/// client's is kept as a digest: the method is refused at registration.
#[tokio::test]
async fn refuses_client_secret_jwt_at_registration() {
    let server = server();
    let request = register(
        &server,
        &json!({
            "redirect_uris": ["https://rp.example.org/cb"],
            "token_endpoint_auth_method": "client_secret_jwt"
        }),
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_client_metadata");
}

/// JARM §3: authorization_signed_response_alg is registered and echoed
/// (RS256 by default); an algorithm this server does not sign with is
/// invalid_client_metadata (RFC 7591 §3.2.2).
#[tokio::test]
async fn registers_the_authorization_response_signing_alg() {
    let server = server();
    let plain = json!({ "redirect_uris": ["https://rp.example.org/cb"] });
    let response = handle(&server, &register(&server, &plain)).await;
    assert_eq!(
        json(&response)["authorization_signed_response_alg"],
        "RS256"
    );
    let es256 = json!({
        "redirect_uris": ["https://rp.example.org/cb"],
        "authorization_signed_response_alg": "ES256"
    });
    let response = handle(&server, &register(&server, &es256)).await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(
        json(&response)["authorization_signed_response_alg"],
        "ES256"
    );
    let hs256 = json!({
        "redirect_uris": ["https://rp.example.org/cb"],
        "authorization_signed_response_alg": "HS256"
    });
    let response = handle(&server, &register(&server, &hs256)).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_client_metadata");
}

/// RFC 9449 §5.2: dpop_bound_access_tokens is registered and echoed; not
/// a boolean, it is invalid_client_metadata.
#[tokio::test]
async fn registers_dpop_bound_access_tokens() {
    let server = server();
    let bound = json!({
        "redirect_uris": ["https://rp.example.org/cb"],
        "dpop_bound_access_tokens": true
    });
    let response = handle(&server, &register(&server, &bound)).await;
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(json(&response)["dpop_bound_access_tokens"], true);
    let bad = json!({
        "redirect_uris": ["https://rp.example.org/cb"],
        "dpop_bound_access_tokens": "yes"
    });
    let response = handle(&server, &register(&server, &bad)).await;
    assert_eq!(error(&response), "invalid_client_metadata");
}

/// OIDC RP-Initiated Logout §3.1, Back-Channel Logout §2.2: the logout
/// URIs are registered and answered as registered.
#[tokio::test]
async fn registers_the_logout_uris() {
    let server = server();
    let request = register(
        &server,
        &json!({
            "redirect_uris": ["https://rp.example.org/cb"],
            "post_logout_redirect_uris": ["https://rp.example.org/bye"],
            "backchannel_logout_uri": "https://rp.example.org/logout",
            "backchannel_logout_session_required": true,
        }),
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let body = json(&response);
    assert_eq!(
        body["post_logout_redirect_uris"][0],
        "https://rp.example.org/bye"
    );
    assert_eq!(
        body["backchannel_logout_uri"],
        "https://rp.example.org/logout"
    );
    assert_eq!(body["backchannel_logout_session_required"], true);
    let client = server
        .client(body["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        client.post_logout_redirect_uris,
        ["https://rp.example.org/bye"]
    );
}

/// Back-Channel Logout §2.2: an absolute URL without a fragment; plain
/// http only to the user's own machine.
#[tokio::test]
async fn refuses_unusable_logout_uris() {
    let server = server();
    for metadata in [
        json!({"redirect_uris": ["https://rp.example.org/cb"], "backchannel_logout_uri": "https://rp.example.org/logout#f"}),
        json!({"redirect_uris": ["https://rp.example.org/cb"], "backchannel_logout_uri": "/logout"}),
        json!({"redirect_uris": ["https://rp.example.org/cb"], "post_logout_redirect_uris": ["http://rp.example.org/bye"]}),
    ] {
        let response = handle(&server, &register(&server, &metadata)).await;
        assert_eq!(response.status, 400, "{metadata}");
        assert_eq!(error(&response), "invalid_client_metadata", "{metadata}");
    }
}
