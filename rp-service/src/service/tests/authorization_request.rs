//! The authorization request as the RP builds it (RFC 6749 §4.1.1, OIDC
//! Core §3.1.2.1, §6.1): its optional parameters, request objects signed
//! and unsigned, and what the attack variations leave out or change.
use oauth_core::form::Params;

use super::{Harness, StepError};
use crate::service::ClientService;

/// The query of the authorization request `args` make, and the claims of
/// the request object it carries, if any.
fn query_of(h: &Harness, args: &[(&str, &str)]) -> (Params, Option<serde_json::Value>) {
    let prepared = h.prepare(ClientService::Authorization, args);
    let query = oauth_core::form::parse(prepared.request.url.query().unwrap_or("")).unwrap();
    let object = query.get("request").map(|compact| {
        let payload = compact.split('.').nth(1).unwrap();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    });
    (query, object)
}

fn query(args: &[(&str, &str)]) -> Params {
    query_of(&Harness::new("client"), args).0
}

#[test]
fn oidc_core_11_offline_access_is_asked_with_prompt_consent() {
    let pairs = query(&[("scope", "openid offline_access")]);
    assert_eq!(pairs.get("prompt"), Some("consent"), "OIDC Core §11");
    assert_eq!(query(&[("scope", "openid")]).get("prompt"), None);
}

#[test]
fn oidc_core_6_1_a_request_object_repeats_response_type_client_id_and_an_openid_scope() {
    let h = Harness::new("client");
    let (pairs, object) = query_of(&h, &[("jar", "value"), ("scope", "openid offline_access")]);
    let object = object.unwrap();
    for name in ["response_type", "client_id", "scope"] {
        assert_eq!(
            pairs.get(name),
            object[name].as_str(),
            "{name} repeated outside as in the object (OIDC Core §6.1)"
        );
    }
    // Everything else travels in the object only, redirect_uri among them.
    for name in ["state", "nonce", "redirect_uri", "prompt"] {
        assert_eq!(pairs.get(name), None, "{name}");
        assert!(object.get(name).is_some(), "{name}");
    }
    let pairs = query(&[("jar", "value"), ("scope", "foobar")]);
    assert_eq!(
        pairs.get("scope"),
        None,
        "scope is repeated only with openid"
    );
    assert!(pairs.get("response_type").is_some());
}

#[test]
fn oidc_core_6_1_an_unsigned_request_object_is_alg_none_with_the_same_claims() {
    let h = Harness::new("client");
    let (pairs, object) = query_of(&h, &[("jar", "unsigned"), ("scope", "openid")]);
    let compact = pairs.get("request").unwrap();
    assert!(compact.ends_with('.'), "no signature: {compact}");
    let header = oauth_core::jose::decode_unverified(compact).unwrap().header;
    assert_eq!(header["alg"], "none");
    let object = object.unwrap();
    assert_eq!(object["redirect_uri"], "https://example.com/cb");
    assert_eq!(object["iss"], "client");
    assert_eq!(
        h.session(|s| s.authorization.as_ref().unwrap().sent_as),
        crate::session::SentAs::UnsignedRequestObject
    );
}

#[test]
fn oidc_core_3_1_2_1_optional_parameters_are_sent_as_given() {
    let pairs = query(&[
        ("scope", "openid"),
        ("display", "popup"),
        ("ui_locales", "sv en"),
        ("claims_locales", "sv"),
        ("login_hint", "diana@example.org"),
        ("acr_values", "urn:mace:incommon:iap:silver"),
    ]);
    assert_eq!(pairs.get("display"), Some("popup"));
    assert_eq!(pairs.get("ui_locales"), Some("sv en"));
    assert_eq!(pairs.get("claims_locales"), Some("sv"));
    assert_eq!(pairs.get("login_hint"), Some("diana@example.org"));
    assert_eq!(
        pairs.get("acr_values"),
        Some("urn:mace:incommon:iap:silver")
    );
    // Absent unless asked.
    assert_eq!(query(&[("scope", "openid")]).get("display"), None);
}

#[test]
fn rfc6749_3_1_an_unknown_parameter_is_sent_as_is() {
    let pairs = query(&[("extra", "unrecognised=ignore me")]);
    assert_eq!(pairs.get("unrecognised"), Some("ignore me"));
    let h = Harness::new("client");
    for bad in ["no-equals-sign", "=value"] {
        let e = h.try_prepare(ClientService::Authorization, &[("extra", bad)]);
        assert!(matches!(e, Err(StepError::BadArgument(_))), "{bad}");
    }
}

#[test]
fn oidc_core_3_1_2_1_the_nonce_may_be_left_out_of_the_code_flow() {
    let h = Harness::new("client");
    let (pairs, _) = query_of(&h, &[("scope", "openid"), ("nonce", "omit")]);
    assert_eq!(pairs.get("nonce"), None);
    assert_eq!(h.sent().1, None, "no nonce kept to compare with");
    let (pairs, _) = query_of(&h, &[("scope", "openid")]);
    assert!(pairs.get("nonce").is_some(), "sent by default with openid");
    let e = h.try_prepare(ClientService::Authorization, &[("nonce", "chosen")]);
    assert!(matches!(e, Err(StepError::BadArgument(_))));
}

#[test]
fn rfc6749_4_1_1_response_type_omitted_and_an_unregistered_redirect_uri() {
    let h = Harness::new("client");
    let (pairs, _) = query_of(&h, &[("response_type", "omit")]);
    assert_eq!(pairs.get("response_type"), None);
    // The answer is read as the code flow's.
    assert_eq!(
        h.session(|s| s.authorization.as_ref().unwrap().response_type.clone()),
        "code"
    );
    let (pairs, _) = query_of(&h, &[("redirect_uri", "https://attacker.example/cb")]);
    assert_eq!(
        pairs.get("redirect_uri"),
        Some("https://attacker.example/cb")
    );
    assert!(h.session(|s| s.authorization.as_ref().unwrap().redirect_uri_unregistered));
}
