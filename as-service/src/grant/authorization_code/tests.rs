use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

/// RFC 6749 §4.1.3, §4.1.4: a code is exchanged for tokens.
#[tokio::test]
async fn redeems_a_code_for_tokens() {
    let server = server();
    let tokens = code_flow(&server, "openid foobar").await;
    assert!(tokens["access_token"].is_string());
    assert!(tokens["id_token"].is_string());
}

/// RFC 6749 §4.1.2, §10.5: a code used twice is refused, and what it
/// minted the first time is revoked.
#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_its_tokens() {
    let server = server();
    let code = authorize(&server, "foobar").await;
    let first = handle(&server, &redeem(&server, &code)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let token = json(&first)["access_token"].as_str().unwrap().to_owned();
    let second = handle(&server, &redeem(&server, &code)).await;
    assert_eq!(second.status, 400);
    assert_eq!(error(&second), "invalid_grant");
    let introspect = post_as(
        &url(&server, Endpoint::Introspection),
        CODE_CLIENT,
        &[("token", &token)],
    );
    let answer = crate::endpoint::introspection::handle(&server, &introspect).await;
    assert_eq!(json(&answer)["active"], false);
}

/// RFC 6749 §4.1.3: redirect_uri must match the authorization request's.
#[tokio::test]
async fn refuses_a_different_redirect_uri() {
    let server = server();
    let code = authorize(&server, "foobar").await;
    let request = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://example.com/other"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_grant");
}

/// RFC 6749 §4.1.2: codes expire.
#[tokio::test]
async fn refuses_an_expired_code() {
    let (server, clock) = server_with(config());
    let code = authorize(&server, "foobar").await;
    clock.advance(server.config.code_lifetime + 1);
    let response = handle(&server, &redeem(&server, &code)).await;
    assert_eq!(error(&response), "invalid_grant");
}
