use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

/// RFC 7517 §5: the published set holds public keys only.
#[tokio::test]
async fn publishes_only_public_keys() {
    let server = server();
    let response = handle(&server, &get(&url(&server, Endpoint::Jwks))).await;
    assert_eq!(response.status, 200);
    let body = json(&response);
    let keys = body["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "{key} carries {private}");
        }
        assert!(key.get("kid").is_some());
    }
}

/// RFC 9110 §15.5.6: the key set is read with GET only.
#[tokio::test]
async fn refuses_post_with_405() {
    let server = server();
    let response = handle(&server, &post(&url(&server, Endpoint::Jwks), &[])).await;
    assert_eq!(response.status, 405);
}
