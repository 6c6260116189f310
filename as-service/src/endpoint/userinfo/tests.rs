use oauth_core::http::HttpRequest;

use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

fn bearer(server: &crate::AuthServer, token: &str) -> HttpRequest {
    let auth = format!("Bearer {token}");
    HttpRequest::new(
        "GET",
        &url(server, Endpoint::Userinfo),
        [("Authorization", auth.as_str())],
        "",
    )
    .unwrap()
}

/// OIDC Core §5.3.2: the user's claims for an openid token.
#[tokio::test]
async fn answers_the_users_claims() {
    let server = server();
    let tokens = code_flow(&server, "openid profile").await;
    let token = tokens["access_token"].as_str().unwrap();
    let response = handle(&server, &bearer(&server, token)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body = json(&response);
    assert_eq!(body["sub"], "diana");
    assert_eq!(body["name"], "Diana Krall");
}

/// RFC 6750 §2.3, RFC 9700 §4.3.2: no access token in the query.
#[tokio::test]
async fn refuses_a_token_in_the_query() {
    let server = server();
    let tokens = code_flow(&server, "openid").await;
    let token = tokens["access_token"].as_str().unwrap();
    let request = get_query(
        &url(&server, Endpoint::Userinfo),
        &[("access_token", token)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert!(header(&response, "www-authenticate").is_some_and(|h| h.contains("invalid_request")));
}

/// RFC 6750 §3.1, OIDC Core §5.3: a token without openid is insufficient_scope.
#[tokio::test]
async fn refuses_a_token_without_openid_as_insufficient_scope() {
    let server = server();
    let token = client_credentials_token(&server).await;
    let response = handle(&server, &bearer(&server, &token)).await;
    assert_eq!(response.status, 403);
    assert!(
        header(&response, "www-authenticate").is_some_and(|h| h.contains("insufficient_scope"))
    );
}

/// RFC 6750 §3.1: no token at all is 401 with a bare challenge.
#[tokio::test]
async fn asks_for_a_token_when_none_is_sent() {
    let server = server();
    let response = handle(&server, &get(&url(&server, Endpoint::Userinfo))).await;
    assert_eq!(response.status, 401);
    assert!(header(&response, "www-authenticate").is_some_and(|h| h.starts_with("Bearer")));
}
