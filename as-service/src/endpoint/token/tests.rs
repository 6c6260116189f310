use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

/// RFC 6749 §4.4.3, §5.1: a token response, never cached.
#[tokio::test]
async fn issues_a_bearer_token_for_client_credentials() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        CLIENT_1,
        &[("grant_type", "client_credentials")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let body = json(&response);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "resourceA");
}

/// RFC 6749 §5.2: a grant type the server does not know.
#[tokio::test]
async fn refuses_an_unknown_grant_type_as_unsupported_grant_type() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        CLIENT_1,
        &[("grant_type", "magic")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "unsupported_grant_type");
}

/// RFC 6749 §5.2: failed Basic authentication is 401 with WWW-Authenticate.
#[tokio::test]
async fn refuses_a_wrong_basic_secret_with_401_and_www_authenticate() {
    let server = server();
    let request = post_with(
        &url(&server, Endpoint::Token),
        &[("Authorization", &basic((CLIENT_1.0, "wrong")))],
        &[("grant_type", "client_credentials")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 401);
    assert_eq!(error(&response), "invalid_client");
    assert!(header(&response, "www-authenticate").is_some_and(|h| h.starts_with("Basic")));
}

/// RFC 6749 §5.2: a grant type the client is not registered for.
#[tokio::test]
async fn refuses_a_grant_the_client_may_not_use_as_unauthorized_client() {
    let server = server();
    let request = post_with(
        &url(&server, Endpoint::Token),
        &[("Authorization", &basic(CLIENT_2))],
        &[("grant_type", "client_credentials")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "unauthorized_client");
}

/// RFC 6749 §3.2: the token endpoint takes POST only.
#[tokio::test]
async fn refuses_get_with_405() {
    let server = server();
    let response = handle(&server, &get(&url(&server, Endpoint::Token))).await;
    assert_eq!(response.status, 405);
}

/// RFC 6749 §4.1.3, §5.2: grant_type is REQUIRED.
#[tokio::test]
async fn refuses_a_request_without_grant_type_as_invalid_request() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        CLIENT_1,
        &[("scope", "resourceA")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_request");
}
