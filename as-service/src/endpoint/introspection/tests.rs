use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

/// RFC 7662 §2.2: the client's own live token is active, with its claims.
#[tokio::test]
async fn reports_a_live_token_as_active() {
    let server = server();
    let token = client_credentials_token(&server).await;
    let request = post_as(
        &url(&server, Endpoint::Introspection),
        CLIENT_1,
        &[("token", &token)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body = json(&response);
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], CLIENT_1.0);
}

/// RFC 7662 §2.2: an unknown token is just inactive.
#[tokio::test]
async fn reports_an_unknown_token_as_inactive() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Introspection),
        CLIENT_1,
        &[("token", "nonsense")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200);
    assert_eq!(json(&response), serde_json::json!({ "active": false }));
}

/// RFC 7662 §2.1, RFC 9700 §4.12: the caller must authenticate; a
/// public client cannot.
#[tokio::test]
async fn refuses_a_public_client() {
    let (server, _) = server_with(with_public_client(config()));
    let request = post(
        &url(&server, Endpoint::Introspection),
        &[("client_id", "public"), ("token", "anything")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 401);
    assert_eq!(error(&response), "invalid_client");
}

/// RFC 7662 §2.1: token is REQUIRED.
#[tokio::test]
async fn refuses_a_request_without_a_token() {
    let server = server();
    let request = post_as(&url(&server, Endpoint::Introspection), CLIENT_1, &[]);
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_request");
}
