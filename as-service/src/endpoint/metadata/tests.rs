use crate::config::Endpoint;
use crate::test_support::*;

use super::{handle, provider_configuration};

/// RFC 8414 §3.2: the document names the issuer it was asked for.
#[tokio::test]
async fn serves_the_metadata_document() {
    let server = server();
    let response = handle(&server, &get(&url(&server, Endpoint::ServerMetadata))).await;
    assert_eq!(response.status, 200);
    let body = json(&response);
    assert_eq!(body["issuer"], server.config.issuer.as_str());
    assert_eq!(body["token_endpoint"], url(&server, Endpoint::Token));
}

/// RFC 8414 §3.1: the document is fetched with GET; POST is 405 with Allow.
#[tokio::test]
async fn refuses_post_with_405_and_allow() {
    let server = server();
    let response = handle(&server, &post(&url(&server, Endpoint::ServerMetadata), &[])).await;
    assert_eq!(response.status, 405);
    assert_eq!(header(&response, "allow"), Some("GET"));
}

/// OIDC Discovery §4.2: the OpenID configuration is served too.
#[tokio::test]
async fn serves_the_openid_configuration() {
    let server = server();
    let request = get(&url(&server, Endpoint::ProviderConfiguration));
    let response = provider_configuration(&server, &request).await;
    assert_eq!(response.status, 200);
    assert!(json(&response)["userinfo_endpoint"].is_string());
}
