use oauth_core::form::Params;

use crate::test_support::*;

use super::grant;

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<(String, String)>>(),
    )
}

/// RFC 6749 §3.3: with no scope asked for, the client's default is granted.
#[test]
fn grants_the_default_scope_when_none_is_asked() {
    let server = server();
    let client = server.config.clients[CLIENT_1.0].clone();
    let g = grant(
        &server,
        &client,
        &params(&[("grant_type", "client_credentials")]),
    )
    .unwrap();
    assert_eq!(g.scope.to_string(), "resourceA");
    assert_eq!(g.subject, CLIENT_1.0);
    assert!(
        g.refresh_token.is_none(),
        "RFC 6749 §4.4.3: no refresh token"
    );
}

/// RFC 6749 §5.2: a scope beyond the client's is invalid_scope.
#[test]
fn refuses_a_scope_beyond_the_clients() {
    let server = server();
    let client = server.config.clients[CLIENT_1.0].clone();
    let e = grant(&server, &client, &params(&[("scope", "resourceA admin")])).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_scope");
}

/// RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
#[tokio::test]
async fn answers_without_a_refresh_token() {
    let server = server();
    let request = post_as(
        &url(&server, crate::config::Endpoint::Token),
        CLIENT_1,
        &[("grant_type", "client_credentials")],
    );
    let response = crate::endpoint::token::handle(&server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body = json(&response);
    assert!(body["access_token"].is_string());
    assert!(body.get("refresh_token").is_none(), "{body}");
}
