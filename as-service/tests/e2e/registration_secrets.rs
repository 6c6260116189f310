//! A registered client's secret is kept as a keyed digest, never as itself,
//! and still authenticates the client.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use as_service::AuthServer;
use as_service::config::{ClientSecret, Config};
use oauth_core::http::HttpRequest;
use oauth_core::jose::KeySet;

#[tokio::test]
async fn a_registered_secret_is_stored_hashed_and_still_works() {
    let server = AuthServer::new(
        Config::default_config().unwrap(),
        KeySet::generate().unwrap(),
    )
    .unwrap();
    let request = HttpRequest::new(
        "POST",
        "https://example.com/register",
        [("Content-Type", "application/json")],
        r#"{"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "client_secret_post"}"#,
    )
    .unwrap();
    let response = as_service::endpoint::registration::handle(&server, &request).await;
    assert_eq!(response.status, 201, "{}", response.body);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    let (id, secret) = (
        body["client_id"].as_str().unwrap(),
        body["client_secret"].as_str().unwrap(),
    );
    let client = server.client(id).await.unwrap().unwrap();
    match &client.secret {
        Some(ClientSecret::Hashed(digest)) => {
            assert_ne!(&digest[..], secret.as_bytes());
            assert_eq!(*digest, server.secret_digest(secret));
        }
        other => panic!("stored as {other:?}"),
    }
    // The secret authenticates the client at the introspection endpoint.
    let introspect = |secret: &str| {
        HttpRequest::new(
            "POST",
            "https://example.com/introspection",
            [("Content-Type", "application/x-www-form-urlencoded")],
            format!("token=x&client_id={id}&client_secret={secret}"),
        )
        .unwrap()
    };
    let ok = as_service::endpoint::introspection::handle(&server, &introspect(secret)).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let wrong = as_service::endpoint::introspection::handle(&server, &introspect("not-it")).await;
    assert_eq!(wrong.status, 401);
}
