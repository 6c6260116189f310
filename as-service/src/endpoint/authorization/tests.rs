use crate::config::Endpoint;
use crate::test_support::*;

use super::handle;

fn authorization(
    server: &crate::AuthServer,
    pairs: &[(&str, &str)],
) -> oauth_core::http::HttpRequest {
    get_query(&url(server, Endpoint::Authorization), pairs)
}

/// RFC 6749 §4.1.2, RFC 9207 §2: the code comes back with state and iss.
#[tokio::test]
async fn redirects_with_a_code_state_and_iss() {
    let server = server();
    let request = authorization(
        &server,
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("state", "xyz"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 302);
    assert!(
        response
            .location
            .as_deref()
            .unwrap()
            .starts_with(REDIRECT_URI)
    );
    assert!(redirect_param(&response, "code").is_some());
    assert_eq!(redirect_param(&response, "state").as_deref(), Some("xyz"));
    assert_eq!(
        redirect_param(&response, "iss"),
        Some(server.config.issuer.clone())
    );
}

/// RFC 6749 §4.1.2.1: an unregistered redirect URI is never redirected to.
#[tokio::test]
async fn answers_an_unregistered_redirect_uri_without_redirecting() {
    let server = server();
    let request = authorization(
        &server,
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", "https://attacker.example/cb"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert!(response.location.is_none());
    assert_eq!(error(&response), "invalid_request");
}

/// OIDC Core §3.2.2.1: nonce is required when an ID token is returned here.
#[tokio::test]
async fn refuses_an_id_token_without_nonce_in_the_fragment() {
    let server = server();
    let request = authorization(
        &server,
        &[
            ("response_type", "id_token"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 302);
    let location = url::Url::parse(response.location.as_deref().unwrap()).unwrap();
    assert!(
        location.fragment().is_some(),
        "errors for id_token travel in the fragment"
    );
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_request")
    );
}

/// RFC 7636 §4.2, RFC 9700 §2.1.1: plain is refused unless configured.
#[tokio::test]
async fn refuses_the_plain_pkce_method() {
    let server = server();
    let verifier = "a".repeat(43);
    let request = authorization(
        &server,
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("code_challenge", &verifier),
            ("code_challenge_method", "plain"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 302);
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_request")
    );
    assert!(redirect_param(&response, "code").is_none());
}

/// RFC 7636 §4.4.1: a public client must send a code challenge.
#[tokio::test]
async fn refuses_a_public_client_without_pkce() {
    let (server, _) = server_with(with_public_client(config()));
    let request = authorization(
        &server,
        &[
            ("response_type", "code"),
            ("client_id", "public"),
            ("redirect_uri", "https://public.example.org/cb"),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_request")
    );
}

/// An unsigned request object (alg none) naming the client's registered
/// redirect URI: RFC 6749 §4.1.2.1 answers a failure that is not the
/// client's or the redirect URI's at that URI, with the object's state.
fn unsigned_object(claims: &serde_json::Value) -> String {
    use base64::Engine;
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    format!(
        "{}.{}.",
        b64(&serde_json::json!({"alg": "none"})),
        b64(claims)
    )
}

#[tokio::test]
async fn rfc6749_4_1_2_1_a_refused_request_object_is_answered_at_the_registered_redirect_uri() {
    let server = server();
    let object = unsigned_object(&serde_json::json!({
        "client_id": CODE_CLIENT.0,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "from-the-object",
        "scope": "openid",
    }));
    let request = authorization(
        &server,
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("scope", "openid"),
            ("request", &object),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 302);
    assert!(
        response
            .location
            .as_deref()
            .unwrap()
            .starts_with(REDIRECT_URI)
    );
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_request_object")
    );
    assert_eq!(
        redirect_param(&response, "state").as_deref(),
        Some("from-the-object")
    );
    // A redirect URI the client never registered: no redirect at all.
    let elsewhere = unsigned_object(&serde_json::json!({
        "client_id": CODE_CLIENT.0,
        "response_type": "code",
        "redirect_uri": "https://attacker.example/cb",
    }));
    let request = authorization(
        &server,
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("request", &elsewhere),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert!(response.location.is_none());
}
