use oauth_core::token::{GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN};

use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

fn exchange(
    server: &crate::AuthServer,
    token: &str,
    audience: &str,
) -> oauth_core::http::HttpRequest {
    post_as(
        &url(server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
            ("subject_token", token),
            ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
            ("audience", audience),
        ],
    )
}

/// RFC 8693 §2.2.1: an exchanged token for an audience the client may ask for.
#[tokio::test]
async fn exchanges_a_token_for_an_allowed_audience() {
    let server = server();
    let tokens = code_flow(&server, "foobar").await;
    let subject = tokens["access_token"].as_str().unwrap();
    let response = handle(
        &server,
        &exchange(&server, subject, "https://backend.example.org/"),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        json(&response)["issued_token_type"],
        TOKEN_TYPE_ACCESS_TOKEN
    );
}

/// RFC 8693 §2.2.2: an audience the client may not ask for is invalid_target.
#[tokio::test]
async fn refuses_an_audience_the_client_may_not_ask_for_as_invalid_target() {
    let server = server();
    let tokens = code_flow(&server, "foobar").await;
    let subject = tokens["access_token"].as_str().unwrap();
    let response = handle(
        &server,
        &exchange(&server, subject, "https://evil.example/"),
    )
    .await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_target");
}

/// RFC 8693 §2.2.2: a subject token that is not valid is invalid_request.
#[tokio::test]
async fn refuses_an_invalid_subject_token() {
    let server = server();
    let response = handle(
        &server,
        &exchange(&server, "not-a-token", "https://backend.example.org/"),
    )
    .await;
    assert_eq!(response.status, 400);
}
