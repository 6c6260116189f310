//! The token response (RFC 6749 §5.1, §5.2), token_type with and without
//! DPoP (RFC 6750, RFC 9449 §5), the DPoP nonce (RFC 9449 §8), scope (RFC
//! 6749 §3.3, §6), and the attack variations of a token request.
use oauth_core::error::ErrorCode;
use oauth_core::http::HttpResponse;
use serde_json::{Value, json};

use super::{Harness, ISSUER, REDIRECT, failed, json_answer, outcome, passed, redirect_to};
use crate::service::{CheckId, ClientService, Level, StepError};

/// A session holding a code (and the PKCE verifier of its request).
fn with_code() -> Harness {
    let h = Harness::new("client");
    h.prepare(ClientService::Authorization, &[("pkce", "S256")]);
    let state = h.sent().0;
    let answer = redirect_to(format!("{REDIRECT}?code=c-1&state={state}&iss={ISSUER}"));
    assert!(h.parse(ClientService::Authorization, &answer).ok());
    h
}

fn tokens(token_type: &str) -> Value {
    json!({
        "access_token": "at-1",
        "token_type": token_type,
        "expires_in": 3600,
        "scope": "foobar",
    })
}

fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

#[test]
fn rfc6749_5_1_a_bearer_token_response_passes_and_is_kept() {
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[]);
    // The token type is case-insensitive (RFC 6749 §5.1).
    let parsed = h.parse(
        ClientService::AccessToken,
        &json_answer(200, &tokens("bearer")),
    );
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert!(passed(&parsed, CheckId::TokenType));
    assert!(passed(&parsed, CheckId::PkceAccepted));
    assert_eq!(
        h.session(|s| s.tokens.get("access_token").cloned())
            .as_deref(),
        Some("at-1")
    );
}

#[test]
fn rfc6750_another_token_type_than_bearer_is_refused() {
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[]);
    let parsed = h.parse(
        ClientService::AccessToken,
        &json_answer(200, &tokens("mac")),
    );
    assert!(failed(&parsed, CheckId::TokenType));
    assert_eq!(h.session(|s| s.tokens.get("access_token").cloned()), None);
}

#[test]
fn rfc6749_5_1_a_token_response_without_no_store_is_refused() {
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[]);
    let mut answer = json_answer(200, &tokens("Bearer"));
    answer.headers.remove("cache-control");
    let parsed = h.parse(ClientService::AccessToken, &answer);
    assert!(failed(&parsed, CheckId::TokenNoStore));
}

#[test]
fn rfc6749_3_3_a_scope_wider_than_asked_is_a_warning() {
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[]);
    let mut body = tokens("Bearer");
    body["scope"] = json!("foobar admin");
    let parsed = h.parse(ClientService::AccessToken, &json_answer(200, &body));
    assert_eq!(
        outcome(&parsed, CheckId::ScopeWithinRequest),
        Some((false, Level::Should))
    );
    assert!(parsed.ok());
}

#[test]
fn rfc6749_5_2_an_error_response_is_recorded_as_its_error_code() {
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[]);
    let answer = json_answer(
        400,
        &json!({"error": "invalid_grant", "error_description": "spent"}),
    );
    let parsed = h.parse(ClientService::AccessToken, &answer);
    assert_eq!(
        parsed.error,
        Some((ErrorCode::InvalidGrant, "spent".to_owned()))
    );
    // No code at all: the status stands in for it.
    h.prepare(ClientService::AccessToken, &[]);
    let answer = HttpResponse {
        status: 500,
        headers: Default::default(),
        body: String::new(),
        location: None,
    };
    let parsed = h.parse(ClientService::AccessToken, &answer);
    assert!(failed(&parsed, CheckId::ErrorCodePresent));
    assert_eq!(
        parsed.error.map(|(code, _)| code),
        Some(ErrorCode::Extension("http_500".into()))
    );
}

#[test]
fn rfc9449_5_a_request_with_a_proof_must_get_a_dpop_token() {
    let h = with_code();
    let prepared = h.prepare(ClientService::AccessToken, &[("dpop", "true")]);
    assert!(prepared.request.header("dpop").is_some());
    let parsed = h.parse(
        ClientService::AccessToken,
        &json_answer(200, &tokens("Bearer")),
    );
    assert!(failed(&parsed, CheckId::TokenType));
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[("dpop", "true")]);
    let parsed = h.parse(
        ClientService::AccessToken,
        &json_answer(200, &tokens("DPoP")),
    );
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert_eq!(
        h.session(|s| s.access_token_type.clone()).as_deref(),
        Some("DPoP")
    );
}

#[test]
fn rfc9449_8_a_nonce_asked_for_is_kept_and_the_step_sent_once_more() {
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[("dpop", "true")]);
    let mut answer = json_answer(400, &json!({"error": "use_dpop_nonce"}));
    answer.headers.insert("dpop-nonce".into(), "n-1".into());
    let parsed = h.parse(ClientService::AccessToken, &answer);
    assert!(parsed.retry);
    assert_eq!(parsed.error.map(|(c, _)| c), Some(ErrorCode::UseDpopNonce));
    let again = h.prepare(ClientService::AccessToken, &[("dpop", "true")]);
    let proof = oauth_core::jose::decode_unverified(again.request.header("dpop").unwrap()).unwrap();
    assert_eq!(proof.claims["nonce"], "n-1");
}

#[test]
fn rfc9449_8_a_malformed_nonce_is_not_kept() {
    let h = with_code();
    h.prepare(ClientService::AccessToken, &[("dpop", "true")]);
    let mut answer = json_answer(400, &json!({"error": "use_dpop_nonce"}));
    answer.headers.insert("dpop-nonce".into(), "n 1\"".into());
    h.parse(ClientService::AccessToken, &answer);
    assert_eq!(h.session(|s| s.dpop_nonce.clone()), None);
}

#[test]
fn rfc7636_4_5_the_verifier_is_sent_and_code_verifier_omit_leaves_it_out() {
    let h = with_code();
    let honest = h.prepare(ClientService::AccessToken, &[]);
    assert!(
        form(&honest.request.body)
            .iter()
            .any(|(k, _)| k == "code_verifier")
    );
    let downgrade = h.prepare(ClientService::AccessToken, &[("code_verifier", "omit")]);
    assert!(
        !form(&downgrade.request.body)
            .iter()
            .any(|(k, _)| k == "code_verifier")
    );
}

#[test]
fn rfc6749_6_refresh_token_previous_needs_one_spent_and_bad_values_are_refused() {
    let h = with_code();
    h.session(|s| s.tokens.insert("refresh_token".into(), "rt-1".into()));
    assert!(matches!(
        h.try_prepare(
            ClientService::RefreshToken,
            &[("refresh_token", "previous")]
        ),
        Err(StepError::MissingState(_))
    ));
    assert!(matches!(
        h.try_prepare(ClientService::RefreshToken, &[("refresh_token", "other")]),
        Err(StepError::BadArgument(_))
    ));
    h.session(|s| {
        s.tokens
            .insert("previous_refresh_token".into(), "rt-0".into())
    });
    let replay = h.prepare(
        ClientService::RefreshToken,
        &[("refresh_token", "previous")],
    );
    assert!(form(&replay.request.body).contains(&("refresh_token".into(), "rt-0".into())));
}

#[test]
fn rfc6749_6_a_confidential_clients_refresh_token_not_rotated_is_a_warning() {
    let h = with_code();
    h.session(|s| s.tokens.insert("refresh_token".into(), "rt-1".into()));
    h.prepare(ClientService::RefreshToken, &[]);
    let mut body = tokens("Bearer");
    body["refresh_token"] = json!("rt-1");
    let parsed = h.parse(ClientService::RefreshToken, &json_answer(200, &body));
    assert_eq!(
        outcome(&parsed, CheckId::RefreshTokenRotated),
        Some((false, Level::Should))
    );
}
