use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

/// RFC 9126 §2.2, §4: a pushed request is answered 201 with a request_uri
/// that the authorization endpoint then takes.
#[tokio::test]
async fn pushes_a_request_the_authorization_endpoint_then_takes() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::PushedAuthorization),
        CODE_CLIENT,
        &[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT_URI),
            ("state", "pushed"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let body = json(&response);
    let request_uri = body["request_uri"].as_str().unwrap();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert_eq!(body["expires_in"], server.config.par.lifetime);
    let authorization = get_query(
        &url(&server, Endpoint::Authorization),
        &[("client_id", CODE_CLIENT.0), ("request_uri", request_uri)],
    );
    let answer = crate::endpoint::authorization::handle(&server, &authorization).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    assert!(redirect_param(&answer, "code").is_some());
    assert_eq!(redirect_param(&answer, "state").as_deref(), Some("pushed"));
}

/// RFC 9126 §2.1: request_uri cannot itself be pushed.
#[tokio::test]
async fn refuses_a_pushed_request_uri() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::PushedAuthorization),
        CODE_CLIENT,
        &[
            ("response_type", "code"),
            ("request_uri", "urn:ietf:params:oauth:request_uri:abc"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_request");
}

/// RFC 9126 §2.3: what the authorization endpoint would refuse is refused
/// here, directly.
#[tokio::test]
async fn refuses_an_unregistered_redirect_uri() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::PushedAuthorization),
        CODE_CLIENT,
        &[
            ("response_type", "code"),
            ("redirect_uri", "https://attacker.example/cb"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
}
