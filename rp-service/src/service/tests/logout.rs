//! OIDC RP-Initiated Logout 1.0 §2, §3 (the end_session request and the
//! redirect back) and Back-Channel Logout 1.0 §2.5–§2.7 (the logout token).
use oauth_core::http::HttpRequest;
use serde_json::{Value, json};

use super::*;
use crate::session::Identity;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
const BACK: &str = "https://example.com/logged-out";

/// A session logged in as diana, login sid-1, holding its ID token and an
/// access token.
fn logged_in() -> Harness {
    let h = Harness::new("client");
    let id_token = h.id_token(&[("sid", json!("sid-1"))]);
    h.session(|s| {
        s.identity = Some(Identity {
            iss: ISSUER.into(),
            sub: "diana".into(),
            aud: vec!["client".into()],
            azp: None,
            auth_time: None,
            iat: None,
            sid: Some("sid-1".into()),
        });
        s.tokens.insert("id_token".into(), id_token);
        s.tokens.insert("access_token".into(), "at".into());
        s.metadata = Some(Metadata::from_document(&json!({
            "issuer": ISSUER,
            "end_session_endpoint": "https://example.com/end_session",
        })));
    });
    h
}

fn end_session_params(h: &Harness) -> BTreeMap<String, String> {
    let prepared = h.prepare(ClientService::EndSession, &[]);
    prepared.request.url.query_pairs().into_owned().collect()
}

/// §2: the hint is the login's ID token; the URI and a fresh state go along.
#[test]
fn rp_initiated_logout_2_the_request_carries_the_hint_uri_and_state() {
    let h = logged_in();
    let params = end_session_params(&h);
    let id_token = h.session(|s| s.tokens["id_token"].clone());
    assert_eq!(params["id_token_hint"], id_token);
    assert_eq!(params["post_logout_redirect_uri"], BACK);
    assert_eq!(params["client_id"], "client");
    assert!(params["state"].len() >= 24);
}

/// §2: without a login there is no hint to send.
#[test]
fn rp_initiated_logout_2_no_login_no_request() {
    let h = Harness::new("client");
    assert!(matches!(
        h.try_prepare(ClientService::EndSession, &[]),
        Err(StepError::MissingState(_))
    ));
}

/// §3: back to exactly the URI sent, with the state sent.
#[test]
fn rp_initiated_logout_3_the_redirect_back_must_match_uri_and_state() {
    let h = logged_in();
    let state = end_session_params(&h)["state"].clone();
    let ok = h.parse(
        ClientService::EndSession,
        &redirect_to(format!("{BACK}?state={state}")),
    );
    assert!(ok.ok(), "{:?}", ok.checks);
    end_session_params(&h);
    let other = h.parse(
        ClientService::EndSession,
        &redirect_to("https://attacker.example/?state=x".into()),
    );
    assert!(failed(&other, CheckId::EndSessionRedirectUri));
    assert!(failed(&other, CheckId::EndSessionState));
    // §2: the OP SHOULD ask the user first; a page is no refusal, only
    // noted (and nothing about the redirect can be checked yet).
    end_session_params(&h);
    let page = h.parse(
        ClientService::EndSession,
        &HttpResponse::empty_no_store(200),
    );
    assert!(page.ok(), "{:?}", page.checks);
    assert!(!failed(&page, CheckId::EndSessionRedirect));
}

/// The OP's notification: a form POST of `logout_token` (§2.5).
fn notification(token: &str) -> HttpRequest {
    HttpRequest::new(
        "POST",
        "https://example.com/backchannel-logout",
        [("content-type", "application/x-www-form-urlencoded")],
        format!("logout_token={token}"),
    )
    .unwrap()
}

/// A logout token for the session's login, changed as asked (`Null`
/// removes a claim), signed by the OP.
fn logout_token(h: &Harness, header: &Value, changes: &[(&str, Value)]) -> String {
    let mut claims = json!({
        "iss": ISSUER,
        "aud": "client",
        "iat": h.now,
        "exp": h.now + 120,
        "jti": "jti-1",
        "sub": "diana",
        "sid": "sid-1",
        "events": { EVENT: {} },
    });
    for (name, value) in changes {
        match value {
            Value::Null => {
                claims.as_object_mut().map(|m| m.remove(*name));
            }
            v => claims[*name] = v.clone(),
        }
    }
    let mut head = json!({"alg": "RS256", "typ": "logout+jwt", "kid": h.key.kid()});
    if let Some(extra) = header.as_object() {
        for (k, v) in extra {
            head[k] = v.clone();
        }
    }
    h.key.sign_exact(&head, &claims).unwrap()
}

fn deliver(h: &Harness, token: &str) -> Parsed {
    h.session(|s| {
        super::super::receive(
            &h.rp,
            s,
            ClientService::BackchannelLogout,
            &notification(token),
        )
    })
    .unwrap()
}

/// §2.6, §2.7: a valid token ends the login: identity and tokens go.
#[test]
fn backchannel_2_7_a_valid_logout_token_ends_the_login() {
    let h = logged_in();
    let parsed = deliver(&h, &logout_token(&h, &json!({}), &[]));
    assert!(parsed.ok(), "{:?}", parsed.checks);
    assert_eq!(parsed.jwts.len(), 1);
    assert!(parsed.jwts[0].verified);
    h.session(|s| {
        assert!(s.identity.is_none());
        assert!(s.tokens.is_empty());
    });
}

/// §2.6: each claim rule, one at a time; nothing is forgotten on a refusal.
#[test]
fn backchannel_2_6_each_broken_rule_refuses_the_token() {
    let cases: [(&[(&str, Value)], CheckId); 9] = [
        (&[("nonce", json!("n-0S6"))], CheckId::LogoutNonce),
        (&[("aud", json!("client_2"))], CheckId::LogoutAud),
        (
            &[("iss", json!("https://other.example/"))],
            CheckId::LogoutIss,
        ),
        (&[("iat", Value::Null)], CheckId::LogoutIat),
        (&[("jti", Value::Null)], CheckId::LogoutJti),
        (&[("events", json!({}))], CheckId::LogoutEvents),
        (
            &[("sub", Value::Null), ("sid", Value::Null)],
            CheckId::LogoutSubOrSid,
        ),
        (&[("sid", json!("sid-2"))], CheckId::LogoutSession),
        (&[("exp", json!(1))], CheckId::LogoutExp),
    ];
    for (changes, id) in cases {
        let h = logged_in();
        let parsed = deliver(&h, &logout_token(&h, &json!({}), changes));
        assert!(failed(&parsed, id), "{id}: {:?}", parsed.checks);
        assert_eq!(outcome(&parsed, id).map(|o| o.1), Some(Level::Must), "{id}");
        assert!(!parsed.ok());
        h.session(|s| assert!(s.identity.is_some(), "{id}: the login stays"));
    }
}

/// §2.6 item 2: another key, or another alg, is refused; §2.4: a token not
/// typed logout+jwt is only a warning.
#[test]
fn backchannel_2_6_signature_alg_and_typ() {
    let h = logged_in();
    let other = SigningKey::generate(JwsAlgorithm::RS256).unwrap();
    let claims = oauth_core::jose::decode_unverified(&logout_token(&h, &json!({}), &[]))
        .unwrap()
        .claims;
    let foreign = other
        .sign_exact(
            &json!({"alg": "RS256", "typ": "logout+jwt", "kid": other.kid()}),
            &claims,
        )
        .unwrap();
    assert!(failed(&deliver(&h, &foreign), CheckId::LogoutSignature));
    let untyped = deliver(&h, &logout_token(&h, &json!({"typ": "JWT"}), &[]));
    assert_eq!(
        outcome(&untyped, CheckId::LogoutTyp),
        Some((false, Level::Should))
    );
    assert!(untyped.ok(), "a warning only");
}

/// §2.6 item 10: the same jti twice is a replay.
#[test]
fn backchannel_2_6_the_same_token_twice_is_a_replay() {
    let h = logged_in();
    let token = logout_token(&h, &json!({}), &[]);
    assert!(deliver(&h, &token).ok());
    let again = deliver(&h, &token);
    assert!(failed(&again, CheckId::LogoutJtiReplay));
}

/// §2.5: a form POST carrying logout_token, nothing else.
#[test]
fn backchannel_2_5_only_a_form_post_is_a_notification() {
    let h = logged_in();
    let get = HttpRequest::new("GET", "https://example.com/backchannel-logout", [], "").unwrap();
    let parsed = h
        .session(|s| super::super::receive(&h.rp, s, ClientService::BackchannelLogout, &get))
        .unwrap();
    assert!(failed(&parsed, CheckId::LogoutRequest));
}

/// §2.4 does not require exp (§4 only encourages a short one): a token
/// without it is accepted, its absence noted.
#[test]
fn backchannel_2_4_a_token_without_exp_is_accepted_and_noted() {
    let h = logged_in();
    let parsed = deliver(&h, &logout_token(&h, &json!({}), &[("exp", Value::Null)]));
    assert!(parsed.ok(), "{:?}", parsed.checks);
    assert_eq!(
        outcome(&parsed, CheckId::LogoutExp).map(|o| o.1),
        Some(Level::Info)
    );
}
