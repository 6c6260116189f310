use oauth_core::form::Params;

use crate::test_support::*;

use super::{check, validate_pushed};

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<(String, String)>>(),
    )
}

/// RFC 6749 §4.1.1: a well-formed code request passes.
#[test]
fn accepts_a_code_request() {
    let server = server();
    let client = server.config.clients[CODE_CLIENT.0].clone();
    let p = params(&[
        ("response_type", "code"),
        ("client_id", CODE_CLIENT.0),
        ("redirect_uri", REDIRECT_URI),
    ]);
    assert!(validate_pushed(&server, &client, &p).is_ok());
}

/// OAuth 2.0 Multiple Response Types §5: no ID token in the query.
#[test]
fn refuses_response_mode_query_for_an_id_token() {
    let server = server();
    let client = server.config.clients[CODE_CLIENT.0].clone();
    let p = params(&[
        ("response_type", "id_token"),
        ("response_mode", "query"),
        ("scope", "openid"),
        ("nonce", "n"),
    ]);
    let e = check(&server, &client, &p).err().unwrap();
    assert_eq!(e.code.as_str(), "invalid_request");
}

/// OIDC Core §3.1.2.1: prompt=none stands alone.
#[test]
fn refuses_prompt_none_with_other_values() {
    let server = server();
    let client = server.config.clients[CODE_CLIENT.0].clone();
    let p = params(&[("response_type", "code"), ("prompt", "none login")]);
    let e = check(&server, &client, &p).err().unwrap();
    assert_eq!(e.code.as_str(), "invalid_request");
}

/// RFC 6749 §4.1.2.1: a response type the client is not registered for.
#[test]
fn refuses_an_unregistered_response_type_as_unauthorized_client() {
    let server = server();
    let client = server.config.clients[CLIENT_2.0].clone();
    let p = params(&[
        ("response_type", "id_token"),
        ("scope", "openid"),
        ("nonce", "n"),
    ]);
    let e = check(&server, &client, &p).err().unwrap();
    assert_eq!(e.code.as_str(), "unauthorized_client");
}
