//! RFC 8707 §2.2, RFC 9396 §6, RFC 8693 §2.1: the one decision of what an
//! access token is for, for each kind of grant.
use oauth_core::form::Params;
use oauth_core::token::{GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN};
use serde_json::{Value, json};

use super::{Granted, decide};
use crate::config::Endpoint;
use crate::store::TokenTarget;
use crate::test_support::*;

const APPL: &str = "https://example.org/appl";
const BACKEND: &str = "https://backend.example.org/";

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<(String, String)>>(),
    )
}

fn details() -> Value {
    json!([{"type": "customer_information", "actions": ["read"]}])
}

fn granted(resources: &[&str], details: Option<&Value>) -> TokenTarget {
    TokenTarget {
        resources: resources.iter().map(|r| (*r).to_owned()).collect(),
        authorization_details: details.map(ToString::to_string),
    }
}

/// RFC 8707 §2.2: within a grant, the token request names some of its
/// resources (that one alone is the audience) or none (all of them);
/// one outside it is invalid_target.
#[test]
fn a_token_request_narrows_within_the_granted_resources_never_beyond() {
    let server = server();
    let client = &server.config.clients["client"];
    let target = granted(&[APPL, BACKEND], None);
    let one = decide(
        &server,
        client,
        &params(&[("resource", BACKEND)]),
        Granted::Authorized(&target),
    )
    .unwrap();
    assert_eq!(one.audience(), Some(&[BACKEND.to_owned()][..]));
    let all = decide(&server, client, &params(&[]), Granted::Authorized(&target)).unwrap();
    assert_eq!(
        all.audience(),
        Some(&[APPL.to_owned(), BACKEND.to_owned()][..])
    );
    let narrow = granted(&[APPL], None);
    let e = decide(
        &server,
        client,
        &params(&[("resource", BACKEND)]),
        Granted::Authorized(&narrow),
    )
    .unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_target");
}

/// RFC 9396 §6: details the grant does not hold are refused, also when it
/// holds none; with none asked, the token carries all it holds.
#[test]
fn a_token_request_asking_details_the_grant_lacks_is_invalid_authorization_details() {
    let server = server();
    let client = &server.config.clients["client"];
    let asked = params(&[("authorization_details", &details().to_string())]);
    let bare = granted(&[], None);
    let e = decide(&server, client, &asked, Granted::Authorized(&bare)).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_authorization_details");
    let held = granted(&[], Some(&details()));
    let all = decide(&server, client, &params(&[]), Granted::Authorized(&held)).unwrap();
    assert_eq!(all.authorization_details(), Some(&details()));
    assert_eq!(all.audience(), None);
}

/// RFC 8707 §2.2, RFC 9396 §6: with no authorization request before it,
/// the token request alone names the target, within the client's.
#[test]
fn without_an_authorization_request_the_token_request_names_the_target() {
    let server = server();
    let client = &server.config.clients["client"];
    let asked = params(&[
        ("resource", APPL),
        ("authorization_details", &details().to_string()),
    ]);
    let target = decide(&server, client, &asked, Granted::TokenRequest).unwrap();
    assert_eq!(target.audience(), Some(&[APPL.to_owned()][..]));
    assert_eq!(target.authorization_details(), Some(&details()));
    let unknown = params(&[("resource", "https://evil.example/")]);
    let e = decide(&server, client, &unknown, Granted::TokenRequest).unwrap_err();
    assert_eq!(e.code.as_str(), "invalid_target");
}

/// RFC 8693 §2.1, §2.2.2: `audience` and `resource` both name the new
/// token's audience, each one the client may have; a malformed resource
/// is invalid_target (RFC 8707 §2) like an unknown one.
#[test]
fn an_exchange_takes_audience_and_resource_within_the_clients() {
    let server = server();
    let client = &server.config.clients["client"];
    let both = params(&[("audience", APPL), ("resource", BACKEND)]);
    let target = decide(
        &server,
        client,
        &both,
        Granted::Exchange {
            subject_details: None,
        },
    )
    .unwrap();
    assert_eq!(
        target.audience(),
        Some(&[APPL.to_owned(), BACKEND.to_owned()][..])
    );
    for bad in [
        params(&[("audience", "elsewhere")]),
        params(&[("resource", "not a uri")]),
    ] {
        let e = decide(
            &server,
            client,
            &bad,
            Granted::Exchange {
                subject_details: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.code.as_str(), "invalid_target");
    }
}

/// A code for `client` whose request named `details`, redeemed: the
/// token response.
async fn tokens_with_details(server: &crate::AuthServer, details: &Value) -> Value {
    let request = get_query(
        &url(server, Endpoint::Authorization),
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "foobar"),
            ("authorization_details", &details.to_string()),
        ],
    );
    let answer = crate::endpoint::authorization::handle(server, &request).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let response = crate::endpoint::token::handle(server, &redeem(server, &code)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    json(&response)
}

async fn exchange(
    server: &crate::AuthServer,
    subject: &str,
    extra: &[(&str, &str)],
) -> oauth_core::http::HttpResponse {
    let mut pairs = vec![
        ("grant_type", GRANT_TYPE_TOKEN_EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", TOKEN_TYPE_ACCESS_TOKEN),
        ("audience", BACKEND),
    ];
    pairs.extend_from_slice(extra);
    let request = post_as(&url(server, Endpoint::Token), CODE_CLIENT, &pairs);
    crate::endpoint::token::handle(server, &request).await
}

/// RFC 8693 §5, RFC 9396 §6: the exchanged token keeps the subject
/// token's authorization details and gains none: asking for others is
/// invalid_authorization_details, and so is asking any of a subject token
/// that carried none.
#[tokio::test]
async fn an_exchanged_token_keeps_the_subject_tokens_details_and_gains_none() {
    let server = server();
    let tokens = tokens_with_details(&server, &details()).await;
    let subject = tokens["access_token"].as_str().unwrap();
    let kept = exchange(&server, subject, &[]).await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(json(&kept)["authorization_details"], details());
    let wider = json!([{"type": "customer_information", "actions": ["write"]}]);
    let refused = exchange(
        &server,
        subject,
        &[("authorization_details", &wider.to_string())],
    )
    .await;
    assert_eq!(error(&refused), "invalid_authorization_details");
    let plain = code_flow(&server, "foobar").await;
    let refused = exchange(
        &server,
        plain["access_token"].as_str().unwrap(),
        &[("authorization_details", &details().to_string())],
    )
    .await;
    assert_eq!(error(&refused), "invalid_authorization_details");
}
