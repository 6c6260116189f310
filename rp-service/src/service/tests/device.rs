//! The device authorization grant (RFC 8628) from the device's side.
use std::time::Duration;

use oauth_core::error::ErrorCode;
use serde_json::{Value, json};

use super::{ClientService, Harness, failed, json_answer, passed};
use crate::service::CheckId;

fn device_answer() -> Value {
    json!({
        "device_code": "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS",
        "user_code": "WDJB-MJHT",
        "verification_uri": "https://example.com/device",
        "verification_uri_complete": "https://example.com/device?user_code=WDJB-MJHT",
        "expires_in": 1800,
        "interval": 1,
    })
}

/// A session whose device authorization was answered with `body`.
fn authorized(body: &Value) -> (Harness, crate::service::Parsed) {
    let h = Harness::new("client");
    let prepared = h.prepare(ClientService::DeviceAuthorization, &[("scope", "foobar")]);
    assert_eq!(
        prepared.request.url.as_str(),
        "https://example.com/device_authorization"
    );
    assert!(prepared.request.header("authorization").is_some());
    let parsed = h.parse(ClientService::DeviceAuthorization, &json_answer(200, body));
    (h, parsed)
}

#[test]
fn rfc8628_3_2_a_complete_answer_begins_the_flow() {
    let (h, parsed) = authorized(&device_answer());
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    for id in [
        CheckId::DeviceStatus,
        CheckId::DeviceCodeIssued,
        CheckId::DeviceUserCode,
        CheckId::DeviceVerificationUri,
        CheckId::DeviceVerificationUriComplete,
        CheckId::DeviceExpiresIn,
        CheckId::DeviceInterval,
    ] {
        assert!(passed(&parsed, id), "{id}");
    }
    let (user_code, interval, scope) = h.session(|s| {
        let flow = s.device.as_ref().unwrap();
        (flow.user_code.clone(), flow.interval, flow.scope.clone())
    });
    assert_eq!(user_code, "WDJB-MJHT");
    assert_eq!(interval, 1);
    assert_eq!(scope.as_deref(), Some("foobar"));
}

#[test]
fn rfc8628_3_2_required_members_missing_or_wrong_fail_the_step() {
    for (member, value, id) in [
        ("device_code", Value::Null, CheckId::DeviceCodeIssued),
        ("user_code", Value::Null, CheckId::DeviceUserCode),
        (
            "verification_uri",
            Value::Null,
            CheckId::DeviceVerificationUri,
        ),
        (
            "verification_uri",
            json!("http://device.example.org/device"),
            CheckId::DeviceVerificationUri,
        ),
        ("expires_in", Value::Null, CheckId::DeviceExpiresIn),
        ("expires_in", json!("1800"), CheckId::DeviceExpiresIn),
        ("interval", json!(0), CheckId::DeviceInterval),
    ] {
        let mut body = device_answer();
        match value {
            Value::Null => {
                body.as_object_mut().unwrap().remove(member);
            }
            v => body[member] = v,
        }
        let (h, parsed) = authorized(&body);
        assert!(failed(&parsed, id), "{member}: {:#?}", parsed.checks);
        assert!(!parsed.ok());
        assert!(h.session(|s| s.device.is_none()), "nothing kept");
    }
}

#[test]
fn rfc8628_3_2_without_an_interval_the_client_polls_every_5_seconds() {
    let mut body = device_answer();
    body.as_object_mut().unwrap().remove("interval");
    let (h, parsed) = authorized(&body);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert_eq!(h.session(|s| s.device.as_ref().unwrap().interval), 5);
}

#[test]
fn rfc8628_3_5_an_interval_past_the_device_codes_lifetime_is_refused() {
    let mut body = device_answer();
    body["interval"] = json!(10_000_000_000u64);
    body["expires_in"] = json!(600);
    let (h, parsed) = authorized(&body);
    assert!(
        failed(&parsed, CheckId::DeviceIntervalWithinLifetime),
        "{:#?}",
        parsed.checks
    );
    assert!(!parsed.ok());
    assert!(h.session(|s| s.device.is_none()), "no poll is ever made");
}

#[test]
fn rfc8628_3_5_an_interval_past_the_clients_limit_stops_the_client_instead_of_polling_sooner() {
    let mut body = device_answer();
    body["interval"] = json!(120);
    let (h, parsed) = authorized(&body);
    assert!(passed(&parsed, CheckId::DeviceIntervalWithinLifetime));
    assert!(
        failed(&parsed, CheckId::DeviceIntervalWithinLimit),
        "{:#?}",
        parsed.checks
    );
    assert!(!parsed.ok());
    assert!(h.session(|s| s.device.is_none()));
}

#[test]
fn rfc8628_3_5_slow_down_past_the_clients_limit_stops_the_client() {
    let mut body = device_answer();
    body["interval"] = json!(58);
    let (h, first) = authorized(&body);
    assert!(first.ok(), "{:#?}", first.checks);
    h.prepare(ClientService::DeviceToken, &[]);
    let parsed = h.parse(
        ClientService::DeviceToken,
        &json_answer(400, &json!({"error": "slow_down"})),
    );
    assert!(failed(&parsed, CheckId::DeviceIntervalWithinLimit));
    assert!(!parsed.ok());
}

#[test]
fn rfc8628_3_3_a_user_step_handed_to_a_person_is_noted_not_judged_and_nothing_else_is() {
    let (h, _) = authorized(&device_answer());
    let handed = |marked: bool| {
        let mut answer = oauth_core::http::HttpResponse::empty_no_store(202);
        answer.body = "handed to a person's browser".into();
        if marked {
            answer.headers.insert(
                crate::service::device::HANDED_TO_A_PERSON.into(),
                "--browser".into(),
            );
        }
        answer
    };
    h.prepare(ClientService::DeviceUser, &[]);
    let parsed = h.parse(ClientService::DeviceUser, &handed(true));
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    // A 202 from a server, unmarked, is no approval page.
    h.session(|s| s.pending = None);
    h.prepare(ClientService::DeviceUser, &[]);
    let parsed = h.parse(ClientService::DeviceUser, &handed(false));
    assert!(
        failed(&parsed, CheckId::DeviceUserApproved),
        "{:#?}",
        parsed.checks
    );
}

#[test]
fn rfc8628_3_3_1_the_user_agent_goes_to_the_complete_uri_or_guesses() {
    let (h, _) = authorized(&device_answer());
    let honest = h.prepare(ClientService::DeviceUser, &[]);
    assert_eq!(honest.request.method, "GET");
    assert_eq!(
        honest.request.url.as_str(),
        "https://example.com/device?user_code=WDJB-MJHT"
    );
    h.session(|s| s.pending = None);
    let guess = h.prepare(ClientService::DeviceUser, &[("user_code", "guess")]);
    assert_eq!(
        guess.request.url.as_str(),
        "https://example.com/device?user_code=BCDF-GHJK"
    );
}

#[test]
fn rfc8628_3_5_authorization_pending_is_a_normal_outcome_and_paces_the_next_poll() {
    let (h, _) = authorized(&device_answer());
    let first = h.prepare(ClientService::DeviceToken, &[]);
    assert_eq!(
        first.send_after,
        Duration::ZERO,
        "the first poll goes at once"
    );
    assert!(first.request.body.contains("device_code=GmRhmh"));
    assert!(
        first
            .request
            .body
            .contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code")
    );
    let parsed = h.parse(
        ClientService::DeviceToken,
        &json_answer(400, &json!({"error": "authorization_pending"})),
    );
    assert!(parsed.poll_again);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert_eq!(
        parsed.error.map(|(c, _)| c),
        Some(ErrorCode::AuthorizationPending)
    );
    let next = h.prepare(ClientService::DeviceToken, &[]);
    assert!(
        next.send_after > Duration::from_millis(900),
        "{:?}",
        next.send_after
    );
    assert!(next.send_after <= Duration::from_secs(1));
    h.session(|s| s.pending = None);
    let early = h.prepare(ClientService::DeviceToken, &[("poll", "early")]);
    assert_eq!(early.send_after, Duration::ZERO);
}

#[test]
fn rfc8628_3_5_slow_down_makes_the_interval_5_seconds_longer() {
    let (h, _) = authorized(&device_answer());
    h.prepare(ClientService::DeviceToken, &[]);
    let parsed = h.parse(
        ClientService::DeviceToken,
        &json_answer(400, &json!({"error": "slow_down"})),
    );
    assert!(parsed.ok() && parsed.poll_again);
    assert_eq!(h.session(|s| s.device.as_ref().unwrap().interval), 6);
    let next = h.prepare(ClientService::DeviceToken, &[]);
    assert!(
        next.send_after > Duration::from_secs(5),
        "{:?}",
        next.send_after
    );
}

#[test]
fn rfc8628_3_5_expired_token_and_access_denied_end_the_flow() {
    for code in ["expired_token", "access_denied"] {
        let (h, _) = authorized(&device_answer());
        h.prepare(ClientService::DeviceToken, &[]);
        let parsed = h.parse(
            ClientService::DeviceToken,
            &json_answer(400, &json!({"error": code})),
        );
        assert!(!parsed.poll_again, "{code}");
        assert!(!parsed.ok(), "{code}");
    }
}

#[test]
fn rfc8628_3_5_tokens_spend_the_device_code() {
    let (h, _) = authorized(&device_answer());
    h.prepare(ClientService::DeviceToken, &[]);
    let parsed = h.parse(
        ClientService::DeviceToken,
        &json_answer(
            200,
            &json!({"access_token": "opaque-token", "token_type": "Bearer", "expires_in": 600, "scope": "foobar"}),
        ),
    );
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert!(passed(&parsed, CheckId::TokenStatus));
    assert!(h.session(|s| s.device.is_none()));
    assert!(h.session(|s| s.tokens.contains_key("access_token")));
    let again = h.prepare(ClientService::DeviceToken, &[("device_code", "previous")]);
    assert!(again.request.body.contains("device_code=GmRhmh"));
}

#[test]
fn rfc8628_3_4_no_poll_before_a_device_authorization() {
    let h = Harness::new("client");
    assert!(h.try_prepare(ClientService::DeviceToken, &[]).is_err());
    assert!(h.try_prepare(ClientService::DeviceUser, &[]).is_err());
}
