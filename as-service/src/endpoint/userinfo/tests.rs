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

/// RFC 6750 §3.1: a token that is not ours is invalid_token; why (here a
/// signature that does not verify) is logged, never sent.
#[tokio::test]
async fn why_a_token_is_refused_is_logged_not_sent() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let server = server();
    let tokens = code_flow(&server, "openid").await;
    let token = tokens["access_token"].as_str().unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{signed}.{flipped}{}", &signature[1..]);
    tracing::callsite::rebuild_interest_cache();
    let response = handle(&server, &bearer(&server, &forged)).await;
    assert_eq!(response.status, 401);
    assert_eq!(
        json(&response)["error_description"],
        "the access token is not an access token of this server"
    );
    assert!(!response.body.contains("signature"), "{}", response.body);
    assert!(response.headers.values().all(|v| !v.contains("signature")));
    let logged = logs.text();
    assert!(logged.contains("the signature does not verify"), "{logged}");
}

/// OIDC Core §5.3.1, RFC 6750 §2.1: POST with the token in the
/// Authorization header (and no body) is answered like GET.
#[tokio::test]
async fn answers_a_post_with_the_token_in_the_header() {
    let server = server();
    let tokens = code_flow(&server, "openid profile").await;
    let token = tokens["access_token"].as_str().unwrap();
    let auth = format!("Bearer {token}");
    let request = HttpRequest::new(
        "POST",
        &url(&server, Endpoint::Userinfo),
        [("Authorization", auth.as_str())],
        "",
    )
    .unwrap();
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(json(&response)["sub"], "diana");
}

/// OIDC Core §5.3.1, RFC 6750 §2.2: POST with the token as `access_token`
/// in a form body.
#[tokio::test]
async fn answers_a_post_with_the_token_in_a_form_body() {
    let server = server();
    let tokens = code_flow(&server, "openid profile").await;
    let token = tokens["access_token"].as_str().unwrap();
    let request = post(
        &url(&server, Endpoint::Userinfo),
        &[("access_token", token)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(json(&response)["name"], "Diana Krall");
}

/// RFC 6750 §2: one way at a time — the header and the body together are
/// invalid_request.
#[tokio::test]
async fn refuses_a_token_sent_in_the_header_and_the_body() {
    let server = server();
    let tokens = code_flow(&server, "openid").await;
    let token = tokens["access_token"].as_str().unwrap();
    let auth = format!("Bearer {token}");
    let request = post_with(
        &url(&server, Endpoint::Userinfo),
        &[("Authorization", auth.as_str())],
        &[("access_token", token)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert!(header(&response, "www-authenticate").is_some_and(|h| h.contains("invalid_request")));
}
