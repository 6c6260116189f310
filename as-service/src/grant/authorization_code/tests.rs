use oauth_core::http::HttpRequest;

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

/// A code for the public client `public`, with an S256 challenge of `verifier`.
async fn authorize_public(server: &crate::AuthServer, verifier: &str) -> String {
    let challenge = oauth_core::pkce::challenge(verifier, oauth_core::pkce::Method::S256);
    let request = get_query(
        &url(server, Endpoint::Authorization),
        &[
            ("response_type", "code"),
            ("client_id", "public"),
            ("redirect_uri", "https://public.example.org/cb"),
            ("scope", "foobar"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let response = crate::endpoint::authorization::handle(server, &request).await;
    assert_eq!(response.status, 302, "{}", response.body);
    redirect_param(&response, "code").unwrap()
}

fn redeem_public(server: &crate::AuthServer, code: &str, verifier: Option<&str>) -> HttpRequest {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", "public"),
        ("code", code),
        ("redirect_uri", "https://public.example.org/cb"),
    ];
    form.extend(verifier.map(|v| ("code_verifier", v)));
    post(&url(server, Endpoint::Token), &form)
}

/// RFC 7636 §4.5, §4.6: the verifier whose challenge was sent redeems the
/// code; another verifier, or none, is invalid_grant.
#[tokio::test]
async fn checks_the_code_verifier_against_the_challenge() {
    let (server, _) = server_with(with_public_client(config()));
    let verifier = oauth_core::pkce::new_verifier();
    let code = authorize_public(&server, &verifier).await;
    let other = oauth_core::pkce::new_verifier();
    let response = handle(&server, &redeem_public(&server, &code, Some(&other))).await;
    assert_eq!(error(&response), "invalid_grant");
    assert_eq!(
        json(&response)["error_description"],
        "code_verifier does not match the code_challenge"
    );
    let code = authorize_public(&server, &verifier).await;
    let response = handle(&server, &redeem_public(&server, &code, None)).await;
    assert_eq!(error(&response), "invalid_grant");
    let code = authorize_public(&server, &verifier).await;
    let response = handle(&server, &redeem_public(&server, &code, Some(&verifier))).await;
    assert_eq!(response.status, 200, "{}", response.body);
}

/// RFC 6749 §4.1.3: the code must have been issued to the authenticated
/// client.
#[tokio::test]
async fn refuses_a_code_issued_to_another_client() {
    let server = server();
    let code = authorize(&server, "foobar").await;
    let request = post_with(
        &url(&server, Endpoint::Token),
        &[("Authorization", &basic(CLIENT_2))],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_grant");
    assert_eq!(
        json(&response)["error_description"],
        "the code was issued to another client"
    );
}

/// RFC 6749 §4.1.3: code is REQUIRED.
#[tokio::test]
async fn refuses_a_request_without_a_code() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT_URI),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_request");
}
