//! The authorization response read from the redirect: state (RFC 6749
//! §4.1.2, §10.12), iss (RFC 9207 §2.4), the redirect target (§3.1.2), the
//! code, error redirects (§4.1.2.1) — and what a refused one leaves behind.
use oauth_core::error::ErrorCode;

use super::{Harness, ISSUER, REDIRECT, failed, passed, redirect_to};
use crate::service::{CheckId, ClientService, StepError};

fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A session with a code-flow authorization request in flight.
fn asked() -> (Harness, String) {
    let h = Harness::new("client");
    h.prepare(ClientService::Authorization, &[]);
    let state = h.sent().0;
    (h, state)
}

#[test]
fn rfc6749_4_1_2_a_matching_response_hands_over_the_code() {
    let (h, state) = asked();
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[("code", "c-1"), ("state", &state), ("iss", ISSUER)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert!(passed(&parsed, CheckId::State));
    assert!(passed(&parsed, CheckId::AuthorizationIss));
    assert_eq!(h.session(|s| s.code.clone()).as_deref(), Some("c-1"));
}

#[test]
fn rfc6749_10_12_another_state_is_refused_and_the_code_not_kept() {
    let (h, _) = asked();
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[("code", "c-1"), ("state", "attacker"), ("iss", ISSUER)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::State));
    assert!(!parsed.ok());
    assert_eq!(h.session(|s| s.code.clone()), None);
}

#[test]
fn rfc9207_2_4_iss_of_another_as_is_refused() {
    let (h, state) = asked();
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[
            ("code", "c-1"),
            ("state", &state),
            ("iss", "https://attacker.example/")
        ])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::AuthorizationIss));
    assert_eq!(h.session(|s| s.code.clone()), None);
}

#[test]
fn rfc9207_2_4_a_missing_iss_is_refused_only_when_the_as_announces_it() {
    let (h, state) = asked();
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[("code", "c-1"), ("state", &state)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::AuthorizationIss));
    // Metadata without authorization_response_iss_parameter_supported.
    let (h, state) = asked();
    h.session(|s| {
        if let Some(m) = s.metadata.as_mut() {
            m.authorization_response_iss_parameter_supported = false;
        }
    });
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[("code", "c-1"), ("state", &state)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
}

#[test]
fn rfc6749_3_1_2_a_redirect_elsewhere_is_refused() {
    let (h, state) = asked();
    let answer = redirect_to(format!(
        "https://attacker.example/cb?{}",
        query(&[("code", "c-1"), ("state", &state), ("iss", ISSUER)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::RedirectTarget));
}

#[test]
fn rfc6749_4_1_2_a_success_without_a_code_is_refused() {
    let (h, state) = asked();
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[("state", &state), ("iss", ISSUER)])
    ));
    assert!(failed(
        &h.parse(ClientService::Authorization, &answer),
        CheckId::CodePresent
    ));
}

#[test]
fn rfc6749_4_1_2_1_an_error_redirect_is_recorded_as_its_error_code() {
    let (h, state) = asked();
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[
            ("error", "access_denied"),
            ("error_description", "the user said no"),
            ("state", &state),
            ("iss", ISSUER)
        ])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert_eq!(
        parsed.error,
        Some((ErrorCode::AccessDenied, "the user said no".to_owned()))
    );
    assert!(!parsed.ok());
}

#[test]
fn a_response_with_no_request_prepared_is_the_callers_fault() {
    let h = Harness::new("client");
    let answer = redirect_to(format!("{REDIRECT}?code=c-1"));
    let result =
        h.session(|s| crate::service::parse(&h.rp, s, ClientService::Authorization, &answer));
    assert_eq!(
        result.err(),
        Some(StepError::NothingPending("authorization"))
    );
}

#[test]
fn oidc_core_3_3_2_hybrid_the_id_token_comes_in_the_fragment_with_c_hash() {
    let h = Harness::new("client");
    h.prepare(
        ClientService::Authorization,
        &[("scope", "openid"), ("response_type", "code id_token")],
    );
    let state = h.sent().0;
    let c_hash = oauth_core::oidc::left_hash(oauth_core::jose::JwsAlgorithm::RS256, "c-1");
    let token = h.id_token(&[("c_hash", serde_json::json!(c_hash))]);
    let answer = redirect_to(format!(
        "{REDIRECT}#{}",
        query(&[
            ("code", "c-1"),
            ("id_token", &token),
            ("state", &state),
            ("iss", ISSUER)
        ])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert!(passed(&parsed, CheckId::IdTokenCHash));
    assert_eq!(
        h.session(|s| s.identity.clone()).map(|i| i.sub).as_deref(),
        Some("diana")
    );
}

/// A session whose authorization request named a redirect_uri the client
/// never registered.
fn asked_unregistered() -> (Harness, String) {
    let h = Harness::new("client");
    h.prepare(
        ClientService::Authorization,
        &[("redirect_uri", "https://attacker.example/cb")],
    );
    let state = h.sent().0;
    (h, state)
}

#[test]
fn rfc6749_3_1_2_4_nothing_goes_to_an_unregistered_redirect_uri() {
    // Answered to the user agent itself: the defence, and the refusal read.
    let (h, _) = asked_unregistered();
    let page = super::json_answer(
        400,
        &serde_json::json!({"error": "invalid_request", "error_description": "not registered"}),
    );
    let parsed = h.parse(ClientService::Authorization, &page);
    assert!(passed(&parsed, CheckId::AuthorizationNotToUnregistered));
    assert_eq!(
        parsed.error.map(|(c, _)| c),
        Some(ErrorCode::InvalidRequest)
    );
    // A code sent there: refused, and nothing read from the redirect.
    let (h, state) = asked_unregistered();
    let answer = redirect_to(format!(
        "https://attacker.example/cb?{}",
        query(&[("code", "c-1"), ("state", &state), ("iss", ISSUER)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::AuthorizationNotToUnregistered));
    assert_eq!(h.session(|s| s.code.clone()), None);
    // An error sent there is no refusal either: the redirect is the harm.
    let (h, state) = asked_unregistered();
    let answer = redirect_to(format!(
        "https://attacker.example/cb?{}",
        query(&[("error", "invalid_request"), ("state", &state)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::AuthorizationNotToUnregistered));
    assert_eq!(parsed.error, None, "not read as the provider's refusal");
    // An error sent to the client's registered URI instead is read as one.
    let (h, state) = asked_unregistered();
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[
            ("error", "invalid_request"),
            ("state", &state),
            ("iss", ISSUER)
        ])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(passed(&parsed, CheckId::AuthorizationNotToUnregistered));
    assert!(passed(&parsed, CheckId::RedirectTarget));
    assert_eq!(
        parsed.error.map(|(c, _)| c),
        Some(ErrorCode::InvalidRequest)
    );
}

/// A session that sent an unsigned request object to an OP whose metadata
/// offers request objects by value, with `none` among their algorithms or not.
fn asked_unsigned(none_offered: bool) -> Harness {
    let h = Harness::new("client");
    h.session(|s| {
        let m = s.metadata.as_mut().unwrap();
        m.request_parameter_supported = true;
        m.request_object_none = none_offered;
    });
    h.prepare(
        ClientService::Authorization,
        &[("jar", "unsigned"), ("scope", "openid")],
    );
    h
}

fn refused_with(code: &str) -> oauth_core::http::HttpResponse {
    super::json_answer(400, &serde_json::json!({"error": code}))
}

#[test]
fn oidc_core_6_1_an_unsigned_request_object_refused_where_not_offered_is_lawful() {
    for code in ["invalid_request_object", "request_not_supported"] {
        let h = asked_unsigned(false);
        let parsed = h.parse(ClientService::Authorization, &refused_with(code));
        assert!(
            passed(&parsed, CheckId::UnsignedRequestObjectRefused),
            "{code}"
        );
        assert!(CheckId::UnsignedRequestObjectRefused.judges_refusal_lawful());
    }
    // Refused by redirect: judged the same way.
    let h = asked_unsigned(false);
    let state = h.sent().0;
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[
            ("error", "request_not_supported"),
            ("state", &state),
            ("iss", ISSUER)
        ])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(passed(&parsed, CheckId::UnsignedRequestObjectRefused));
    // Another refusal says nothing of request objects: not the lawful one.
    let h = asked_unsigned(false);
    let parsed = h.parse(ClientService::Authorization, &refused_with("invalid_scope"));
    assert!(failed(&parsed, CheckId::UnsignedRequestObjectRefused));
}

#[test]
fn oidc_discovery_3_an_unsigned_request_object_offered_must_be_taken() {
    let h = asked_unsigned(true);
    let parsed = h.parse(
        ClientService::Authorization,
        &refused_with("invalid_request_object"),
    );
    assert!(failed(&parsed, CheckId::UnsignedRequestObjectRefused));
    // Taken: the response is read as any other, the object noted.
    let h = asked_unsigned(true);
    let state = h.sent().0;
    let answer = redirect_to(format!(
        "{REDIRECT}?{}",
        query(&[("code", "c-1"), ("state", &state), ("iss", ISSUER)])
    ));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert!(passed(&parsed, CheckId::SentAsRequestObject));
    assert!(
        !parsed
            .checks
            .iter()
            .any(|c| c.id == CheckId::UnsignedRequestObjectRefused)
    );
}
