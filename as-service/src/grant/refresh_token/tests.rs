use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

fn refresh(server: &crate::AuthServer, token: &str) -> oauth_core::http::HttpRequest {
    post_as(
        &url(server, Endpoint::Token),
        CODE_CLIENT,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
}

async fn refresh_token(server: &crate::AuthServer) -> String {
    let tokens = code_flow(server, "openid offline_access foobar").await;
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

/// RFC 6749 §6, RFC 9700 §4.14.2: a refresh rotates the refresh token.
#[tokio::test]
async fn rotates_the_refresh_token() {
    let server = server();
    let old = refresh_token(&server).await;
    let response = handle(&server, &refresh(&server, &old)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let new = json(&response)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
}

/// RFC 9700 §4.14.2: a rotated-out token presented again revokes the
/// whole family, its successor included.
#[tokio::test]
async fn reuse_of_a_rotated_token_revokes_the_family() {
    let server = server();
    let old = refresh_token(&server).await;
    let first = handle(&server, &refresh(&server, &old)).await;
    let new = json(&first)["refresh_token"].as_str().unwrap().to_owned();
    let reuse = handle(&server, &refresh(&server, &old)).await;
    assert_eq!(reuse.status, 400);
    assert_eq!(error(&reuse), "invalid_grant");
    let successor = handle(&server, &refresh(&server, &new)).await;
    assert_eq!(error(&successor), "invalid_grant");
}

/// RFC 6749 §6: a refresh token belongs to the client it was issued to.
#[tokio::test]
async fn refuses_another_clients_refresh_token() {
    let server = server();
    let token = refresh_token(&server).await;
    let request = post_with(
        &url(&server, Endpoint::Token),
        &[("Authorization", &basic(CLIENT_2))],
        &[("grant_type", "refresh_token"), ("refresh_token", &token)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
}

/// RFC 6749 §6: the scope of a refresh may be narrower than the grant's,
/// never wider (invalid_scope).
#[tokio::test]
async fn may_narrow_the_scope_but_never_widen_it() {
    let server = server();
    let token = refresh_token(&server).await;
    let wider = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &token),
            ("scope", "foobar profile"),
        ],
    );
    let response = handle(&server, &wider).await;
    assert_eq!(error(&response), "invalid_scope");
    let narrower = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &token),
            ("scope", "foobar"),
        ],
    );
    let response = handle(&server, &narrower).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(json(&response)["scope"], "foobar");
}

/// RFC 6749 §6: refresh_token is REQUIRED; an unknown one is invalid_grant.
#[tokio::test]
async fn refuses_a_missing_or_unknown_refresh_token() {
    let server = server();
    let missing = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[("grant_type", "refresh_token")],
    );
    assert_eq!(error(&handle(&server, &missing).await), "invalid_request");
    let unknown = refresh(&server, "not-a-refresh-token-of-this-server");
    assert_eq!(error(&handle(&server, &unknown).await), "invalid_grant");
}
