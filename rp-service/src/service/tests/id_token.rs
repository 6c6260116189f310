//! ID token validation, OIDC Core §3.1.3.7 item by item (with RFC 7515 and
//! RFC 7519 where they decide), on tokens handed to `id_token::verify`.
use serde_json::{Value, json};

use super::{Harness, failed, outcome, passed};
use crate::service::id_token::{Expect, verify};
use crate::service::{CheckId, ClientService, Level, Parsed};
use crate::session::Identity;

/// A session with an openid authorization request in flight (a nonce sent).
fn asked() -> Harness {
    let h = Harness::new("client");
    h.prepare(ClientService::Authorization, &[("scope", "openid")]);
    h
}

fn check(h: &Harness, token: &str, expect: Expect<'_>) -> (Parsed, Option<Identity>) {
    let mut parsed = Parsed::default();
    let identity = h.session(|s| verify(&h.rp, s, token, expect, &mut parsed));
    (parsed, identity)
}

fn checked(h: &Harness, token: &str) -> Parsed {
    check(h, token, Expect::default()).0
}

#[test]
fn oidc_core_3_1_3_7_a_valid_id_token_passes_every_check_and_names_the_user() {
    let h = asked();
    let (parsed, identity) = check(&h, &h.id_token(&[]), Expect::default());
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert_eq!(parsed.warnings(), 0);
    assert_eq!(identity.unwrap().sub, "diana");
    assert!(parsed.jwts[0].verified);
}

#[test]
fn oidc_core_3_1_3_7_item_6_a_token_signed_by_another_key_is_refused() {
    let h = asked();
    let other = Harness::new("client");
    let token = other.sign(&json!({}), &[("nonce", json!(h.sent().1))]);
    let (parsed, identity) = check(&h, &token, Expect::default());
    assert!(failed(&parsed, CheckId::IdTokenSignature));
    assert!(identity.is_none());
}

#[test]
fn rfc7515_alg_none_is_an_unsigned_token_and_refused() {
    use base64::Engine;
    let h = asked();
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let token = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&h.claims()));
    let parsed = checked(&h, &token);
    assert!(failed(&parsed, CheckId::IdTokenSignature));
    assert_eq!(
        outcome(&parsed, CheckId::IdTokenAlg),
        Some((false, Level::Should))
    );
    assert!(!parsed.ok());
}

#[test]
fn rfc7515_4_1_11_a_critical_header_extension_is_refused() {
    let h = asked();
    let token = h.sign(&json!({"crit": ["exp-ext"], "exp-ext": 1}), &[]);
    assert!(failed(&checked(&h, &token), CheckId::IdTokenCrit));
}

#[test]
fn oidc_core_3_1_3_7_item_2_iss_must_be_the_op() {
    let h = asked();
    let parsed = checked(
        &h,
        &h.id_token(&[("iss", json!("https://attacker.example/"))]),
    );
    assert!(failed(&parsed, CheckId::IdTokenIss));
    let parsed = checked(&h, &h.id_token(&[("iss", Value::Null)]));
    assert!(failed(&parsed, CheckId::IdTokenIss));
}

#[test]
fn oidc_core_3_1_3_7_item_3_aud_must_contain_the_client_and_no_untrusted_audience() {
    let h = asked();
    let parsed = checked(&h, &h.id_token(&[("aud", json!("client_2"))]));
    assert!(failed(&parsed, CheckId::IdTokenAud));
    let parsed = checked(&h, &h.id_token(&[("aud", json!(["client", "client_2"]))]));
    assert!(passed(&parsed, CheckId::IdTokenAud));
    assert!(failed(&parsed, CheckId::IdTokenAudTrusted));
    // RFC 7519 §4.1.3: an array of strings, nothing else.
    let parsed = checked(&h, &h.id_token(&[("aud", json!(["client", 7]))]));
    assert!(failed(&parsed, CheckId::IdTokenAud));
}

#[test]
fn oidc_core_3_1_3_7_items_4_5_azp_other_than_the_client_is_a_warning() {
    let h = asked();
    let parsed = checked(&h, &h.id_token(&[("azp", json!("client_2"))]));
    assert_eq!(
        outcome(&parsed, CheckId::IdTokenAzp),
        Some((false, Level::Should))
    );
    assert!(parsed.ok());
    let parsed = checked(&h, &h.id_token(&[("azp", json!("client"))]));
    assert!(passed(&parsed, CheckId::IdTokenAzp));
}

#[test]
fn oidc_core_3_1_3_7_item_9_an_expired_token_is_refused() {
    let h = asked();
    let parsed = checked(&h, &h.id_token(&[("exp", json!(h.now - 1))]));
    assert!(failed(&parsed, CheckId::IdTokenExp));
    let parsed = checked(&h, &h.id_token(&[("exp", Value::Null)]));
    assert!(failed(&parsed, CheckId::IdTokenExp));
}

#[test]
fn oidc_core_3_1_3_7_item_10_iat_in_the_future_warns_and_a_missing_iat_fails() {
    let h = asked();
    let parsed = checked(&h, &h.id_token(&[("iat", json!(h.now + 3600))]));
    assert_eq!(
        outcome(&parsed, CheckId::IdTokenIat),
        Some((false, Level::Should))
    );
    // Within the skew the RP allows, iat passes.
    let parsed = checked(&h, &h.id_token(&[("iat", json!(h.now + 30))]));
    assert!(passed(&parsed, CheckId::IdTokenIat));
    // OIDC Core §2: iat is REQUIRED.
    let parsed = checked(&h, &h.id_token(&[("iat", Value::Null)]));
    assert_eq!(
        outcome(&parsed, CheckId::IdTokenIat),
        Some((false, Level::Must))
    );
}

#[test]
fn rfc7519_4_1_5_a_token_not_yet_valid_is_refused() {
    let h = asked();
    let parsed = checked(&h, &h.id_token(&[("nbf", json!(h.now + 3600))]));
    assert!(failed(&parsed, CheckId::IdTokenNbf));
    let parsed = checked(&h, &h.id_token(&[("nbf", json!(h.now))]));
    assert!(passed(&parsed, CheckId::IdTokenNbf));
}

#[test]
fn oidc_core_3_1_3_7_item_11_the_nonce_must_be_the_one_sent() {
    let h = asked();
    let parsed = checked(&h, &h.id_token(&[("nonce", json!("replayed"))]));
    assert!(failed(&parsed, CheckId::IdTokenNonce));
    let parsed = checked(&h, &h.id_token(&[("nonce", Value::Null)]));
    assert!(failed(&parsed, CheckId::IdTokenNonce));
}

#[test]
fn oidc_core_3_2_2_11_from_the_front_channel_a_nonce_is_required() {
    // No openid scope: no nonce sent, but an ID token in the redirect.
    let h = Harness::new("client");
    h.prepare(ClientService::Authorization, &[("scope", "foobar")]);
    assert_eq!(h.sent().1, None);
    let front = Expect {
        front_channel: true,
        ..Default::default()
    };
    let (parsed, _) = check(&h, &h.id_token(&[]), front);
    assert!(failed(&parsed, CheckId::IdTokenNonce));
}

#[test]
fn oidc_core_3_1_3_8_at_hash_must_match_the_access_token() {
    let h = asked();
    let at_hash = oauth_core::oidc::left_hash(oauth_core::jose::JwsAlgorithm::RS256, "at-1");
    fn with(token: &str) -> Expect<'_> {
        Expect {
            access_token: Some(token),
            ..Default::default()
        }
    }
    let good = h.id_token(&[("at_hash", json!(at_hash))]);
    assert!(passed(
        &check(&h, &good, with("at-1")).0,
        CheckId::IdTokenAtHash
    ));
    let (parsed, _) = check(&h, &good, with("at-2"));
    assert_eq!(
        outcome(&parsed, CheckId::IdTokenAtHash),
        Some((false, Level::Should))
    );
}

#[test]
fn oidc_core_3_3_2_10_c_hash_must_be_present_and_match_the_code() {
    let h = asked();
    let c_hash = oauth_core::oidc::left_hash(oauth_core::jose::JwsAlgorithm::RS256, "code-1");
    fn with(code: &str) -> Expect<'_> {
        Expect {
            code: Some(code),
            ..Default::default()
        }
    }
    let good = h.id_token(&[("c_hash", json!(c_hash))]);
    assert!(passed(
        &check(&h, &good, with("code-1")).0,
        CheckId::IdTokenCHash
    ));
    assert!(failed(
        &check(&h, &good, with("code-2")).0,
        CheckId::IdTokenCHash
    ));
    let without = h.id_token(&[]);
    assert!(failed(
        &check(&h, &without, with("code-1")).0,
        CheckId::IdTokenCHash
    ));
}

#[test]
fn oidc_core_12_2_a_refreshed_id_token_must_name_the_same_user() {
    let h = asked();
    let (_, original) = check(&h, &h.id_token(&[]), Expect::default());
    let original = original.unwrap();
    let refresh = Expect {
        refresh_of: Some(Some(&original)),
        ..Default::default()
    };
    // From a refresh the nonce may be absent (OIDC Core §12.2).
    let same = h.id_token(&[("nonce", Value::Null)]);
    let (parsed, _) = check(&h, &same, refresh);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    let mallory = h.id_token(&[("sub", json!("mallory")), ("nonce", Value::Null)]);
    let (parsed, identity) = check(&h, &mallory, refresh);
    assert!(failed(&parsed, CheckId::RefreshSub));
    assert!(identity.is_none());
}

#[test]
fn oidc_core_3_1_3_7_item_11_without_a_nonce_sent_none_is_needed() {
    let h = Harness::new("client");
    h.prepare(
        ClientService::Authorization,
        &[("scope", "openid"), ("nonce", "omit")],
    );
    assert_eq!(h.sent().1, None);
    let (parsed, identity) = check(&h, &h.id_token(&[]), Expect::default());
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert_eq!(
        outcome(&parsed, CheckId::IdTokenNonce),
        Some((true, Level::Info))
    );
    assert!(identity.is_some());
    // OIDC Core §2: a nonce in the token must be the one sent — none was.
    let parsed = checked(&h, &h.id_token(&[("nonce", json!("from-elsewhere"))]));
    assert!(failed(&parsed, CheckId::IdTokenNonce));
}

#[test]
fn oidc_core_3_1_2_1_acr_is_shown_against_the_voluntary_acr_values() {
    let h = Harness::new("client");
    h.prepare(
        ClientService::Authorization,
        &[
            ("scope", "openid"),
            ("acr_values", "urn:mace:incommon:iap:silver"),
        ],
    );
    let detail = |parsed: &Parsed| {
        parsed
            .checks
            .iter()
            .find(|c| c.id == CheckId::IdTokenAcr)
            .map(|c| (c.level, c.detail.clone()))
    };
    let met = checked(
        &h,
        &h.id_token(&[("acr", json!("urn:mace:incommon:iap:silver"))]),
    );
    let (level, text) = detail(&met).unwrap();
    assert_eq!(level, Level::Info);
    assert!(text.contains("one of those asked"), "{text}");
    // Not met, or not stated: shown, never refused (the values are voluntary).
    let other = checked(&h, &h.id_token(&[("acr", json!("0"))]));
    assert!(other.ok());
    assert!(detail(&other).unwrap().1.contains("need not"));
    let none = checked(&h, &h.id_token(&[]));
    assert!(none.ok());
    assert!(detail(&none).unwrap().1.contains("none stated"));
}

#[test]
fn oidc_core_12_2_a_refreshed_id_token_is_issued_later_and_carries_no_nonce() {
    let h = asked();
    let (_, original) = check(&h, &h.id_token(&[]), Expect::default());
    let original = original.unwrap();
    let refresh = Expect {
        refresh_of: Some(Some(&original)),
        ..Default::default()
    };
    let later = h.id_token(&[("nonce", Value::Null), ("iat", json!(h.now + 5))]);
    let (parsed, _) = check(&h, &later, refresh);
    assert!(passed(&parsed, CheckId::RefreshIat));
    assert!(passed(&parsed, CheckId::RefreshNonce));
    // An iat before the original's: not the time the new token was issued.
    let earlier = h.id_token(&[("nonce", Value::Null), ("iat", json!(h.now - 600))]);
    let (parsed, identity) = check(&h, &earlier, refresh);
    assert!(failed(&parsed, CheckId::RefreshIat));
    assert!(identity.is_none());
    // The original's nonce again: a warning; another one: refused.
    let (parsed, _) = check(&h, &h.id_token(&[]), refresh);
    assert_eq!(
        outcome(&parsed, CheckId::RefreshNonce),
        Some((false, Level::Should))
    );
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    let other = h.id_token(&[("nonce", json!("another"))]);
    assert!(failed(&check(&h, &other, refresh).0, CheckId::IdTokenNonce));
}
