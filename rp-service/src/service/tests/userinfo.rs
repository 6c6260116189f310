//! The UserInfo request, its access token in the header of a GET or a POST
//! (RFC 6750 §2.1) or in a form body (§2.2), and what the answer says of
//! the scopes asked for (OIDC Core §5.4) and the languages (§5.2).
use serde_json::json;

use super::{Harness, ISSUER, REDIRECT, json_answer, outcome, passed, redirect_to};
use crate::service::{CheckId, ClientService, Level, StepError};

/// A session logged in as diana (an ID token verified), holding an access
/// token; the authorization request asked for `extra` beside openid.
fn logged_in(extra: &[(&str, &str)]) -> Harness {
    let h = Harness::new("client");
    let mut args = vec![("scope", "openid profile email")];
    args.extend_from_slice(extra);
    h.prepare(ClientService::Authorization, &args);
    let state = h.sent().0;
    let answer = redirect_to(format!("{REDIRECT}?code=c-1&state={state}&iss={ISSUER}"));
    assert!(h.parse(ClientService::Authorization, &answer).ok());
    h.prepare(ClientService::AccessToken, &[]);
    let body = json!({
        "access_token": "at-1",
        "token_type": "Bearer",
        "expires_in": 600,
        "id_token": h.id_token(&[]),
    });
    let parsed = h.parse(ClientService::AccessToken, &json_answer(200, &body));
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    h
}

#[test]
fn rfc6750_2_1_the_token_in_the_header_of_a_get_or_a_post() {
    let h = logged_in(&[]);
    let get = h.prepare(ClientService::Userinfo, &[]).request;
    assert_eq!(get.method, "GET");
    assert_eq!(get.header("authorization"), Some("Bearer at-1"));
    let post = h
        .prepare(ClientService::Userinfo, &[("method", "post_header")])
        .request;
    assert_eq!(post.method, "POST");
    assert_eq!(post.header("authorization"), Some("Bearer at-1"));
    assert!(post.body.is_empty());
}

#[test]
fn rfc6750_2_2_the_token_in_a_form_body() {
    let h = logged_in(&[]);
    let post = h
        .prepare(ClientService::Userinfo, &[("method", "post_body")])
        .request;
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.header("authorization"),
        None,
        "one way only (RFC 6750 §2)"
    );
    assert_eq!(
        post.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(post.body, "access_token=at-1");
    // A bad method, or a DPoP-bound token in a body, is the caller's fault.
    let bad = h.try_prepare(ClientService::Userinfo, &[("method", "put")]);
    assert!(matches!(bad, Err(StepError::BadArgument(_))));
    h.session(|s| {
        s.access_token_type = Some("DPoP".into());
        s.dpop_key = Some(
            oauth_core::jose::SigningKey::generate(oauth_core::jose::JwsAlgorithm::ES256).unwrap(),
        );
    });
    let bound = h.try_prepare(ClientService::Userinfo, &[("method", "post_body")]);
    assert!(matches!(bound, Err(StepError::BadArgument(_))));
    // A proof for a POST names the POST.
    let post = h
        .prepare(ClientService::Userinfo, &[("method", "post_header")])
        .request;
    let proof = oauth_core::jose::decode_unverified(post.header("dpop").unwrap()).unwrap();
    assert_eq!(proof.claims["htm"], "POST");
}

#[test]
fn oidc_core_5_4_a_scope_whose_claims_do_not_come_warns() {
    let h = logged_in(&[]);
    h.prepare(
        ClientService::Userinfo,
        &[("expect_claims", "profile email")],
    );
    let body = json!({"sub": "diana", "name": "Diana Krall", "given_name": "Diana"});
    let parsed = h.parse(ClientService::Userinfo, &json_answer(200, &body));
    // Released only when the OP holds them: a warning, not a refusal.
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    let scope_checks: Vec<_> = parsed
        .checks
        .iter()
        .filter(|c| c.id == CheckId::UserinfoScopeClaims)
        .map(|c| (c.ok, c.level))
        .collect();
    assert_eq!(
        scope_checks,
        [(true, Level::Should), (false, Level::Should)],
        "profile came, email did not"
    );
    assert_eq!(parsed.warnings(), 1);
    let listed = parsed
        .checks
        .iter()
        .find(|c| c.id == CheckId::UserinfoClaims)
        .unwrap();
    assert!(listed.detail.contains("given_name"), "{}", listed.detail);
    // Only scopes OIDC Core §5.4 defines.
    let bad = h.try_prepare(ClientService::Userinfo, &[("expect_claims", "foobar")]);
    assert!(matches!(bad, Err(StepError::BadArgument(_))));
}

#[test]
fn oidc_core_5_2_claims_in_the_languages_asked_are_shown() {
    let h = logged_in(&[("claims_locales", "sv en")]);
    h.prepare(ClientService::Userinfo, &[]);
    let body = json!({"sub": "diana", "name#sv": "Diana Krall", "name": "Diana Krall"});
    let parsed = h.parse(ClientService::Userinfo, &json_answer(200, &body));
    assert!(passed(&parsed, CheckId::UserinfoSub));
    let shown = parsed
        .checks
        .iter()
        .find(|c| c.id == CheckId::UserinfoClaimsLocales)
        .unwrap();
    assert_eq!(shown.level, Level::Info);
    assert!(shown.detail.contains("name#sv"), "{}", shown.detail);
}

#[test]
fn oidc_core_12_2_a_refresh_without_an_id_token_is_noted() {
    let h = logged_in(&[]);
    h.session(|s| s.tokens.insert("refresh_token".into(), "rt-1".into()));
    h.prepare(ClientService::RefreshToken, &[]);
    let body = json!({"access_token": "at-2", "token_type": "Bearer", "refresh_token": "rt-2"});
    let parsed = h.parse(ClientService::RefreshToken, &json_answer(200, &body));
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert_eq!(
        outcome(&parsed, CheckId::RefreshIdToken),
        Some((true, Level::Info))
    );
    assert_eq!(
        h.session(|s| s.identity.clone()).map(|i| i.sub).as_deref(),
        Some("diana"),
        "the original login stays"
    );
}
