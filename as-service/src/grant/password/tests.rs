use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

fn password(server: &crate::AuthServer, user: &str, pass: &str) -> oauth_core::http::HttpRequest {
    post_as(
        &url(server, Endpoint::Token),
        CLIENT_1,
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", pass),
        ],
    )
}

/// RFC 6749 §4.3.2, §4.3.3: the right password gets a token.
#[tokio::test]
async fn issues_a_token_for_the_right_password() {
    let server = server();
    let response = handle(&server, &password(&server, "diana", "krall")).await;
    assert_eq!(response.status, 200, "{}", response.body);
}

/// RFC 6749 §5.2: wrong credentials are invalid_grant, not invalid_client.
#[tokio::test]
async fn refuses_a_wrong_password_as_invalid_grant() {
    let server = server();
    let response = handle(&server, &password(&server, "diana", "wrong")).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_grant");
}

/// RFC 6749 §10.7: after too many failures even the right password is refused.
#[tokio::test]
async fn refuses_after_too_many_failures() {
    let server = server();
    for _ in 0..server.config.password_grant.max_failures_per_user {
        handle(&server, &password(&server, "diana", "wrong")).await;
    }
    let response = handle(&server, &password(&server, "diana", "krall")).await;
    assert_ne!(response.status, 200);
}

/// RFC 6749 §4.3.2: username and password are REQUIRED.
#[tokio::test]
async fn refuses_a_request_without_username_or_password() {
    let server = server();
    for form in [
        [("grant_type", "password"), ("password", "krall")],
        [("grant_type", "password"), ("username", "diana")],
    ] {
        let request = post_as(&url(&server, Endpoint::Token), CLIENT_1, &form);
        let response = handle(&server, &request).await;
        assert_eq!(error(&response), "invalid_request", "{form:?}");
    }
}
