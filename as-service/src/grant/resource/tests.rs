//! RFC 8707 cases: resources named at the authorization and token
//! endpoints restrict the access token's audience, and only narrow.
use oauth_core::http::HttpResponse;
use serde_json::Value;

use crate::AuthServer;
use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

const APPL: &str = "https://example.org/appl";
const BACKEND: &str = "https://backend.example.org/";

/// A code for `client` whose authorization request named `resources`.
async fn authorize_for(server: &AuthServer, resources: &[&str]) -> HttpResponse {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", CODE_CLIENT.0),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "foobar"),
        ("state", "s"),
    ];
    pairs.extend(resources.iter().map(|r| ("resource", *r)));
    let request = get_query(&url(server, Endpoint::Authorization), &pairs);
    crate::endpoint::authorization::handle(server, &request).await
}

async fn redeem_for(server: &AuthServer, code: &str, resources: &[&str]) -> HttpResponse {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    pairs.extend(resources.iter().map(|r| ("resource", *r)));
    handle(
        server,
        &post_as(&url(server, Endpoint::Token), CODE_CLIENT, &pairs),
    )
    .await
}

fn audience(response: &HttpResponse) -> Value {
    let token = json(response)["access_token"].as_str().unwrap().to_owned();
    oauth_core::jose::decode_unverified(&token).unwrap().claims["aud"].clone()
}

/// RFC 8707 §2.2: with one of the granted resources named at the token
/// endpoint, the access token's audience is that resource alone.
#[tokio::test]
async fn a_token_request_narrows_the_audience_to_one_granted_resource() {
    let server = server();
    let answer = authorize_for(&server, &[APPL, BACKEND]).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let response = redeem_for(&server, &code, &[BACKEND]).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(audience(&response), Value::from(BACKEND));
}

/// RFC 8707 §2.2: with no resource at the token endpoint, the token is for
/// every resource the authorization request named.
#[tokio::test]
async fn without_a_resource_at_the_token_endpoint_the_token_is_for_all_granted() {
    let server = server();
    let answer = authorize_for(&server, &[APPL, BACKEND]).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let response = redeem_for(&server, &code, &[]).await;
    assert_eq!(audience(&response), serde_json::json!([APPL, BACKEND]));
}

/// RFC 8707 §2.2: a resource the grant did not include is invalid_target.
#[tokio::test]
async fn a_resource_outside_the_grant_is_invalid_target() {
    let server = server();
    let answer = authorize_for(&server, &[APPL]).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let response = redeem_for(&server, &code, &[BACKEND]).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_target");
}

/// RFC 8707 §2: an unknown resource at the authorization endpoint is
/// redirected back as invalid_target.
#[tokio::test]
async fn an_unknown_resource_at_the_authorization_endpoint_is_invalid_target() {
    let server = server();
    let answer = authorize_for(&server, &["https://unknown.example.net/"]).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    assert_eq!(
        redirect_param(&answer, "error").as_deref(),
        Some("invalid_target")
    );
    assert_eq!(redirect_param(&answer, "code"), None);
}

/// RFC 8707 §2: a resource is an absolute URI with no fragment.
#[tokio::test]
async fn a_relative_or_fragment_resource_is_invalid_target() {
    let server = server();
    for bad in ["/api", "https://example.org/appl#part"] {
        let answer = authorize_for(&server, &[bad]).await;
        assert_eq!(
            redirect_param(&answer, "error").as_deref(),
            Some("invalid_target"),
            "{bad}"
        );
    }
}

/// RFC 8707 §2.2: a refresh may narrow the resources as it narrows scope.
#[tokio::test]
async fn a_refresh_narrows_to_one_granted_resource_and_no_further() {
    let server = server();
    let answer = authorize_for(&server, &[APPL, BACKEND]).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let tokens = json(&redeem_for(&server, &code, &[]).await);
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let request = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("resource", APPL),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(audience(&response), Value::from(APPL));
}

/// RFC 8707 §2: client credentials too; only resources this client may use.
#[tokio::test]
async fn client_credentials_with_a_resource_the_client_may_not_use_is_invalid_target() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        CLIENT_1,
        &[("grant_type", "client_credentials"), ("resource", BACKEND)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_target");
    let request = post_as(
        &url(&server, Endpoint::Token),
        CLIENT_1,
        &[("grant_type", "client_credentials"), ("resource", APPL)],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(audience(&response), Value::from(APPL));
}
