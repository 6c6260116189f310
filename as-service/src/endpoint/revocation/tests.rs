use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

/// RFC 7009 §2.2: a revoked access token is no longer active.
#[tokio::test]
async fn revokes_the_clients_own_access_token() {
    let server = server();
    let token = client_credentials_token(&server).await;
    let request = post_as(
        &url(&server, Endpoint::Revocation),
        CLIENT_1,
        &[("token", &token)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let introspect = post_as(
        &url(&server, Endpoint::Introspection),
        CLIENT_1,
        &[("token", &token)],
    );
    let answer = crate::endpoint::introspection::handle(&server, &introspect).await;
    assert_eq!(json(&answer)["active"], false);
}

/// RFC 7009 §2.1: the server checks the token was issued to the caller.
#[tokio::test]
async fn refuses_another_clients_token() {
    let server = server();
    let token = client_credentials_token(&server).await;
    let request = post_as(
        &url(&server, Endpoint::Revocation),
        CODE_CLIENT,
        &[("token", &token)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_request");
    let introspect = post_as(
        &url(&server, Endpoint::Introspection),
        CLIENT_1,
        &[("token", &token)],
    );
    let answer = crate::endpoint::introspection::handle(&server, &introspect).await;
    assert_eq!(json(&answer)["active"], true, "the token survives");
}

/// RFC 7009 §2.2: an unknown token is answered 200 all the same.
#[tokio::test]
async fn answers_200_for_an_unknown_token() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Revocation),
        CLIENT_1,
        &[("token", "nonsense")],
    );
    assert_eq!(handle(&server, &request).await.status, 200);
}

/// RFC 7009 §2.1: token is REQUIRED.
#[tokio::test]
async fn refuses_a_request_without_a_token() {
    let server = server();
    let request = post_as(&url(&server, Endpoint::Revocation), CLIENT_1, &[]);
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_request");
}
