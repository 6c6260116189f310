use crate::config::Endpoint;
use crate::test_support::*;

use super::{USER_CODE_ALPHABET, display_user_code, handle, new_user_code, normalize_user_code};

/// RFC 8628 §3.2: device_code, user_code, verification_uri (and the
/// complete form carrying the code), expires_in and interval, not cached.
#[tokio::test]
async fn answers_every_member_of_the_device_authorization_response() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::DeviceAuthorization),
        CODE_CLIENT,
        &[("scope", "openid foobar")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let body = json(&response);
    assert!(body["device_code"].as_str().unwrap().len() >= 43);
    let user_code = body["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .bytes()
            .filter(|b| *b != b'-')
            .all(|b| USER_CODE_ALPHABET.contains(&b))
    );
    let verification_uri = url(&server, Endpoint::DeviceVerification);
    assert_eq!(body["verification_uri"], verification_uri.as_str());
    let complete = url::Url::parse(body["verification_uri_complete"].as_str().unwrap()).unwrap();
    assert!(complete.as_str().starts_with(&verification_uri));
    assert_eq!(
        complete
            .query_pairs()
            .find(|(k, _)| k == "user_code")
            .unwrap()
            .1,
        user_code
    );
    assert_eq!(body["expires_in"], server.config.device.lifetime);
    assert_eq!(body["interval"], server.config.device.interval);
}

/// RFC 8628 §3.1: the client authenticates as at the token endpoint.
#[tokio::test]
async fn refuses_a_client_with_a_wrong_secret() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::DeviceAuthorization),
        (CODE_CLIENT.0, "wrong"),
        &[],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 401);
    assert_eq!(error(&response), "invalid_client");
}

/// RFC 8628 §3.2 (RFC 6749 §5.2): a client not allowed the grant.
#[tokio::test]
async fn refuses_a_client_not_registered_for_the_device_grant() {
    let server = server();
    let request = post_with(
        &url(&server, Endpoint::DeviceAuthorization),
        &[("Authorization", &basic(CLIENT_2))],
        &[],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "unauthorized_client");
}

/// RFC 8628 §3.1, RFC 6749 §3.3: a scope the client may not have.
#[tokio::test]
async fn refuses_a_scope_beyond_the_clients() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::DeviceAuthorization),
        CODE_CLIENT,
        &[("scope", "resourceA")],
    );
    let response = handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_scope");
}

/// RFC 8628 §3.1: the request is a POST.
#[tokio::test]
async fn refuses_a_get() {
    let server = server();
    let response = handle(&server, &get(&url(&server, Endpoint::DeviceAuthorization))).await;
    assert_eq!(response.status, 405);
}

/// RFC 8628 §6.1: user codes come from the reduced alphabet, are shown in
/// groups, and are compared case-insensitively without the dash.
#[test]
fn user_codes_are_drawn_from_the_alphabet_and_entered_loosely() {
    let code = new_user_code(8);
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
    assert_ne!(code, new_user_code(8));
    assert_eq!(display_user_code("WDJBMJHT"), "WDJB-MJHT");
    for entered in ["WDJB-MJHT", "wdjb-mjht", "wdjbmjht", " WDJB MJHT "] {
        assert_eq!(
            normalize_user_code(entered, 8).as_deref(),
            Some("WDJBMJHT"),
            "{entered}"
        );
    }
    // A vowel, a digit, a wrong length: never one of this server's codes.
    assert_eq!(normalize_user_code("WDJB-MJHA", 8), None);
    assert_eq!(normalize_user_code("WDJB-MJH1", 8), None);
    assert_eq!(normalize_user_code("WDJB-MJH", 8), None);
}

/// RFC 8707 §2: a resource the client may not obtain tokens for is
/// invalid_target, as at the authorization endpoint; no device code.
#[tokio::test]
async fn a_device_authorization_for_an_unknown_resource_is_invalid_target() {
    let server = server();
    for resource in [
        "https://evil.example/",
        "not a uri",
        "https://example.org/appl#f",
    ] {
        let request = post_as(
            &url(&server, Endpoint::DeviceAuthorization),
            CODE_CLIENT,
            &[("scope", "foobar"), ("resource", resource)],
        );
        let response = handle(&server, &request).await;
        assert_eq!(response.status, 400, "{resource}: {}", response.body);
        assert_eq!(error(&response), "invalid_target", "{resource}");
        assert!(json(&response).get("device_code").is_none());
    }
}

/// RFC 9396 §5: details of a type the client may not use, or malformed,
/// are invalid_authorization_details, as at the authorization endpoint.
#[tokio::test]
async fn a_device_authorization_with_bad_details_is_invalid_authorization_details() {
    let server = server();
    for details in [
        r#"[{"type":"payment_initiation","actions":["initiate"]}]"#,
        r#"[{"type":"customer_information","amount":"12"}]"#,
        "not json",
    ] {
        let request = post_as(
            &url(&server, Endpoint::DeviceAuthorization),
            CODE_CLIENT,
            &[("scope", "foobar"), ("authorization_details", details)],
        );
        let response = handle(&server, &request).await;
        assert_eq!(response.status, 400, "{details}: {}", response.body);
        assert_eq!(
            error(&response),
            "invalid_authorization_details",
            "{details}"
        );
    }
}
