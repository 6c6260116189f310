//! The response modes: a form post (OAuth 2.0 Form Post Response Mode §2)
//! and a response JWT (JARM §2.4), each then checked as any authorization
//! response is.
use oauth_core::http::HttpResponse;
use serde_json::{Value, json};

use super::{Harness, ISSUER, REDIRECT, failed, passed, redirect_to};
use crate::service::{CheckId, ClientService};

fn asked(mode: &str) -> (Harness, String) {
    let h = Harness::new("client");
    let prepared = h.prepare(ClientService::Authorization, &[("response_mode", mode)]);
    let sent: Vec<(String, String)> = prepared
        .request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert!(sent.contains(&("response_mode".into(), mode.into())));
    let state = h.sent().0;
    (h, state)
}

fn form_page(action: &str, fields: &[(&str, &str)]) -> HttpResponse {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                oauth_core::html::escape(k),
                oauth_core::html::escape(v)
            )
        })
        .collect();
    HttpResponse {
        status: 200,
        headers: [(
            "content-type".to_owned(),
            "text/html; charset=utf-8".to_owned(),
        )]
        .into_iter()
        .collect(),
        body: format!(
            "<!DOCTYPE html><html><body><form method=\"post\" action=\"{action}\">\n{inputs}\
             <button type=\"submit\">Continue</button></form></body></html>"
        ),
        location: None,
    }
}

/// Form Post §2: the form's fields go through the redirect checks.
#[test]
fn form_post_a_page_posting_code_state_and_iss_hands_over_the_code() {
    let (h, state) = asked("form_post");
    let page = form_page(
        REDIRECT,
        &[("code", "c-1"), ("state", &state), ("iss", ISSUER)],
    );
    let parsed = h.parse(ClientService::Authorization, &page);
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert!(passed(&parsed, CheckId::FormPostAction));
    assert!(passed(&parsed, CheckId::State));
    assert!(passed(&parsed, CheckId::AuthorizationIss));
    assert_eq!(parsed.parsed["code"], "c-1");
    assert_eq!(h.session(|s| s.code.clone()).as_deref(), Some("c-1"));
}

/// Form Post §2: the state check still runs on the form's fields.
#[test]
fn form_post_another_state_is_refused() {
    let (h, _) = asked("form_post");
    let page = form_page(
        REDIRECT,
        &[("code", "c-1"), ("state", "attacker"), ("iss", ISSUER)],
    );
    let parsed = h.parse(ClientService::Authorization, &page);
    assert!(failed(&parsed, CheckId::State));
    assert_eq!(h.session(|s| s.code.clone()), None);
}

/// A redirect in answer to a form_post request is not the mode asked.
#[test]
fn form_post_a_redirect_instead_is_refused() {
    let (h, state) = asked("form_post");
    let answer = redirect_to(format!("{REDIRECT}?code=c-1&state={state}"));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::AuthorizationResponseMode));
    assert_eq!(h.session(|s| s.code.clone()), None);
}

fn response_jwt(h: &Harness, state: &str, changes: &[(&str, Value)]) -> String {
    let mut claims = json!({
        "iss": ISSUER,
        "aud": "client",
        "exp": h.now + 600,
        "code": "c-1",
        "state": state,
    });
    for (name, value) in changes {
        match value {
            Value::Null => {
                claims.as_object_mut().map(|m| m.remove(*name));
            }
            v => claims[*name] = v.clone(),
        }
    }
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": h.key.kid()});
    h.key.sign_exact(&header, &claims).unwrap()
}

fn jwt_answer(jwt: &str) -> HttpResponse {
    redirect_to(format!("{REDIRECT}?response={jwt}"))
}

/// JARM §2.4: a verified response JWT hands over its code.
#[test]
fn jarm_a_verified_response_jwt_hands_over_the_code() {
    let (h, state) = asked("jwt");
    let parsed = h.parse(
        ClientService::Authorization,
        &jwt_answer(&response_jwt(&h, &state, &[])),
    );
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    for id in [
        CheckId::JarmSignature,
        CheckId::JarmIss,
        CheckId::JarmAud,
        CheckId::JarmExp,
        CheckId::State,
        CheckId::AuthorizationIss,
    ] {
        assert!(passed(&parsed, id), "{id}");
    }
    assert!(
        parsed
            .jwts
            .iter()
            .any(|j| j.name == "response" && j.verified)
    );
    assert_eq!(h.session(|s| s.code.clone()).as_deref(), Some("c-1"));
}

/// JARM §2.4 (6): a JWT signed by a key not the AS's is refused, and
/// nothing in it is used.
#[test]
fn jarm_a_response_jwt_signed_by_another_key_is_refused() {
    let (h, state) = asked("jwt");
    let other =
        oauth_core::jose::SigningKey::generate(oauth_core::jose::JwsAlgorithm::RS256).unwrap();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": h.key.kid()});
    let claims =
        json!({"iss": ISSUER, "aud": "client", "exp": h.now + 600, "code": "c-1", "state": state});
    let forged = other.sign_exact(&header, &claims).unwrap();
    let parsed = h.parse(ClientService::Authorization, &jwt_answer(&forged));
    assert!(failed(&parsed, CheckId::JarmSignature));
    assert!(
        !parsed.checks.iter().any(|c| c.id == CheckId::State),
        "the state inside is not used before the JWT verifies"
    );
    assert_eq!(h.session(|s| s.code.clone()), None);
}

/// JARM §2.4 (3), (4), (5): iss, aud and exp.
#[test]
fn jarm_another_issuer_audience_or_an_expired_jwt_is_refused() {
    let cases: [(&str, Value, CheckId); 4] = [
        ("iss", json!("https://attacker.example/"), CheckId::JarmIss),
        ("aud", json!("another-client"), CheckId::JarmAud),
        ("exp", json!(1), CheckId::JarmExp),
        ("exp", Value::Null, CheckId::JarmExp),
    ];
    for (claim, value, id) in cases {
        let (h, state) = asked("jwt");
        let jwt = response_jwt(&h, &state, &[(claim, value.clone())]);
        let parsed = h.parse(ClientService::Authorization, &jwt_answer(&jwt));
        assert!(failed(&parsed, id), "{claim}={value}");
        assert!(!parsed.ok());
        assert_eq!(h.session(|s| s.code.clone()), None);
    }
}

/// JARM §2.3: parameters in the clear when a JWT was asked are refused.
#[test]
fn jarm_a_response_without_the_jwt_is_refused() {
    let (h, state) = asked("jwt");
    let answer = redirect_to(format!("{REDIRECT}?code=c-1&state={state}&iss={ISSUER}"));
    let parsed = h.parse(ClientService::Authorization, &answer);
    assert!(failed(&parsed, CheckId::JarmResponse));
    assert_eq!(h.session(|s| s.code.clone()), None);
}

/// JARM §2.3.3: form_post.jwt: the form holds the response JWT.
#[test]
fn jarm_form_post_jwt_reads_the_jwt_from_the_form() {
    let (h, state) = asked("form_post.jwt");
    let jwt = response_jwt(&h, &state, &[]);
    let parsed = h.parse(
        ClientService::Authorization,
        &form_page(REDIRECT, &[("response", &jwt)]),
    );
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    assert_eq!(h.session(|s| s.code.clone()).as_deref(), Some("c-1"));
}

#[test]
fn an_unknown_response_mode_is_a_bad_argument() {
    let h = Harness::new("client");
    assert!(
        h.try_prepare(
            ClientService::Authorization,
            &[("response_mode", "web_message")]
        )
        .is_err()
    );
}
