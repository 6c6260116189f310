//! RFC 7523 §2.1, §3 cases: an assertion from the trusted demo identity
//! provider is a grant; one from anyone else, for another audience,
//! expired, about a stranger, or replayed is `invalid_grant`.
use oauth_core::http::HttpResponse;
use serde_json::{Value, json};

use crate::AuthServer;
use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const IDP: &str = "https://idp.example.org/";

/// The demo identity provider's key (deploy/rp.toml publishes it).
fn idp_key() -> oauth_core::jose::SigningKey {
    let jwk: oauth_core::jose::PrivateJwk = serde_json::from_value(json!({
        "kty": "EC", "crv": "P-256", "kid": "demo-idp", "alg": "ES256",
        "x": "Fg--vFXsuIZ_isUPab0Jo3vZh_snu-0zXDH2mxfVknk",
        "y": "Jo3Y5OawTosGNJTu_wsqtmM7LcVIkiDKL6V5LBDT-T8",
        "d": "SSMvTt8-mlcU-j3BAUOTHwaY3meMaWKtYuraQOqOSPc"
    }))
    .unwrap();
    oauth_core::jose::SigningKey::from_private_jwk(jwk).unwrap()
}

fn claims(server: &AuthServer) -> Value {
    json!({
        "iss": IDP,
        "sub": "diana",
        "aud": url(server, Endpoint::Token),
        "iat": NOW,
        "exp": NOW + 120,
        "jti": oauth_core::random::token(16),
    })
}

async fn present(server: &AuthServer, assertion: &str) -> HttpResponse {
    let request = post_as(
        &url(server, Endpoint::Token),
        CLIENT_1,
        &[("grant_type", GRANT_TYPE), ("assertion", assertion)],
    );
    handle(server, &request).await
}

/// RFC 7523 §2.1: the trusted issuer's assertion about a user buys a token
/// for that user (`sub` as this client knows them).
#[tokio::test]
async fn a_trusted_issuers_assertion_is_exchanged_for_a_token() {
    let server = server();
    let assertion = idp_key().sign("JWT", &claims(&server)).unwrap();
    let response = present(&server, &assertion).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let token = json(&response)["access_token"].as_str().unwrap().to_owned();
    let at = oauth_core::jose::decode_unverified(&token).unwrap().claims;
    assert_eq!(at["sub"], "diana");
    assert_eq!(at["client_id"], CLIENT_1.0);
}

/// RFC 7523 §3 item 1: an issuer nobody configured is refused, whatever it signs.
#[tokio::test]
async fn an_untrusted_issuer_is_invalid_grant() {
    let server = server();
    let mut c = claims(&server);
    c["iss"] = json!("https://attacker.example.net/");
    let own =
        oauth_core::jose::SigningKey::generate(oauth_core::jose::JwsAlgorithm::ES256).unwrap();
    let response = present(&server, &own.sign("JWT", &c).unwrap()).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "invalid_grant");
}

/// RFC 7523 §3: the trusted issuer's name with another key's signature fails.
#[tokio::test]
async fn the_trusted_name_with_another_key_is_invalid_grant() {
    let server = server();
    let own =
        oauth_core::jose::SigningKey::generate(oauth_core::jose::JwsAlgorithm::ES256).unwrap();
    let response = present(&server, &own.sign("JWT", &claims(&server)).unwrap()).await;
    assert_eq!(error(&response), "invalid_grant");
}

/// RFC 7523 §3 items 3, 4, 2, 7: another audience, expired, a stranger, a replay.
#[tokio::test]
async fn a_wrong_audience_expiry_subject_or_replay_is_invalid_grant() {
    let server = server();
    let key = idp_key();
    for (member, value) in [
        ("aud", json!("https://as.other.example/token")),
        ("exp", json!(NOW - 600)),
        ("sub", json!("mallory")),
    ] {
        let mut c = claims(&server);
        c[member] = value;
        let response = present(&server, &key.sign("JWT", &c).unwrap()).await;
        assert_eq!(error(&response), "invalid_grant", "{member}");
    }
    let once = key.sign("JWT", &claims(&server)).unwrap();
    assert_eq!(present(&server, &once).await.status, 200);
    assert_eq!(error(&present(&server, &once).await), "invalid_grant");
}

/// RFC 7521 §4.1: the grant needs its assertion.
#[tokio::test]
async fn a_missing_assertion_is_invalid_request() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        CLIENT_1,
        &[("grant_type", GRANT_TYPE)],
    );
    assert_eq!(error(&handle(&server, &request).await), "invalid_request");
}
