//! RFC 9396 cases: authorization details asked for, checked, kept with the
//! code, returned with the token and by introspection, and only narrowed.
use oauth_core::http::HttpResponse;
use serde_json::{Value, json};

use crate::AuthServer;
use crate::config::Endpoint;
use crate::endpoint::token::handle;
use crate::test_support::*;

fn customer() -> Value {
    json!([{
        "type": "customer_information",
        "locations": ["https://example.com/customers"],
        "actions": ["read", "write"],
        "datatypes": ["contacts", "photos"]
    }])
}

async fn authorize_with(server: &AuthServer, details: &str) -> HttpResponse {
    let request = get_query(
        &url(server, Endpoint::Authorization),
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "foobar"),
            ("state", "s"),
            ("authorization_details", details),
        ],
    );
    crate::endpoint::authorization::handle(server, &request).await
}

async fn redeem_with(server: &AuthServer, code: &str, details: Option<&str>) -> HttpResponse {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(d) = details {
        pairs.push(("authorization_details", d));
    }
    handle(
        server,
        &post_as(&url(server, Endpoint::Token), CODE_CLIENT, &pairs),
    )
    .await
}

fn redirect_error(answer: &HttpResponse) -> Option<String> {
    redirect_param(answer, "error")
}

/// RFC 9396 §7, §9.1, §9.2: the details granted come back in the token
/// response, inside the JWT access token, and from introspection.
#[tokio::test]
async fn granted_details_are_in_the_token_response_the_token_and_introspection() {
    let server = server();
    let answer = authorize_with(&server, &customer().to_string()).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let response = redeem_with(&server, &code, None).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body = json(&response);
    assert_eq!(body["authorization_details"], customer());
    let token = body["access_token"].as_str().unwrap();
    let claims = oauth_core::jose::decode_unverified(token).unwrap().claims;
    assert_eq!(claims["authorization_details"], customer());
    let introspect = post_as(
        &url(&server, Endpoint::Introspection),
        CODE_CLIENT,
        &[("token", token)],
    );
    let answer = crate::endpoint::introspection::handle(&server, &introspect).await;
    assert_eq!(json(&answer)["authorization_details"], customer());
}

/// RFC 9396 §5: a type the client may not use is refused, by redirect.
#[tokio::test]
async fn a_type_the_client_may_not_use_is_invalid_authorization_details() {
    let server = server();
    let payment = json!([{"type": "payment_initiation", "actions": ["initiate"]}]);
    let answer = authorize_with(&server, &payment.to_string()).await;
    assert_eq!(answer.status, 302);
    assert_eq!(
        redirect_error(&answer).as_deref(),
        Some("invalid_authorization_details")
    );
    assert_eq!(redirect_param(&answer, "code"), None);
}

/// RFC 9396 §5: unknown types, unknown members, wrong shapes and anything
/// not an array of objects are refused.
#[tokio::test]
async fn malformed_or_unknown_details_are_invalid_authorization_details() {
    let server = server();
    for bad in [
        r#"[{"type":"no_such_type"}]"#,
        r#"[{"type":"customer_information","amount":"12"}]"#,
        r#"[{"type":"customer_information","actions":"read"}]"#,
        r#"[{"type":"customer_information","locations":["not a uri"]}]"#,
        r#"[{"actions":["read"]}]"#,
        r#"{"type":"customer_information"}"#,
        "[]",
        "not json",
    ] {
        let answer = authorize_with(&server, bad).await;
        assert_eq!(
            redirect_error(&answer).as_deref(),
            Some("invalid_authorization_details"),
            "{bad}"
        );
    }
}

/// RFC 9396 §6: a token request may name details the grant holds, never others.
#[tokio::test]
async fn a_token_request_may_not_ask_for_details_beyond_the_grant() {
    let server = server();
    let answer = authorize_with(&server, &customer().to_string()).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let wider = json!([{
        "type": "customer_information",
        "locations": ["https://example.com/customers"],
        "actions": ["read", "write", "delete"],
        "datatypes": ["contacts", "photos"]
    }]);
    let response = redeem_with(&server, &code, Some(&wider.to_string())).await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(error(&response), "invalid_authorization_details");
}

/// RFC 9396 §6.2 (refresh): the refreshed token carries the grant's details.
#[tokio::test]
async fn a_refreshed_token_keeps_the_granted_details() {
    let server = server();
    let answer = authorize_with(&server, &customer().to_string()).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let tokens = json(&redeem_with(&server, &code, None).await);
    let request = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    );
    let response = handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(json(&response)["authorization_details"], customer());
}

/// RFC 9396 §10: the metadata names the types understood.
#[test]
fn the_metadata_lists_the_types_supported() {
    let server = server();
    let doc = crate::discovery::document(&server.config);
    assert_eq!(
        doc["authorization_details_types_supported"],
        json!(["customer_information", "payment_initiation"])
    );
}
