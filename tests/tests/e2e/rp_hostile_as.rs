//! The RP against a hostile AS, with no AS at all: every answer is built
//! here (ID tokens signed with a key whose JWKS the RP was fed), handed to
//! the RP's parse step directly, and the session compared before and after.
//! A refused answer must leave identity, tokens, code, client, metadata and
//! keys exactly as they were (issue 20: "nothing from a response reaches
//! the session unless the whole response passed").
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use oauth_core::http::HttpResponse;
use oauth_core::jose::{JwsAlgorithm, SigningKey};
use rp_service::RelyingParty;
use rp_service::config::Config;
use rp_service::service::{self, CheckId, ClientService, Parsed};
use rp_service::session::SessionView;
use serde_json::{Value, json};

const ISSUER: &str = "https://example.com/";
const REDIRECT: &str = "https://example.com/cb";

/// A pretend OP: its key, and an RP session it answers.
struct Op {
    key: SigningKey,
    rp: Arc<RelyingParty>,
    session: String,
    /// state and nonce of the authorization request last prepared.
    state: String,
    nonce: Option<String>,
    /// When diana authenticated: every ID token of the login repeats it.
    auth_time: i64,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn json_answer(status: u16, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("cache-control".to_owned(), "no-store".to_owned()),
        ]
        .into_iter()
        .collect(),
        body: body.to_string(),
        location: None,
    }
}

fn redirect(fragment: &[(&str, &str)]) -> HttpResponse {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fragment)
        .finish();
    HttpResponse {
        status: 302,
        headers: BTreeMap::new(),
        body: String::new(),
        location: Some(format!("{REDIRECT}#{encoded}")),
    }
}

fn metadata() -> serde_json::Map<String, Value> {
    let m = json!({
        "issuer": ISSUER,
        "authorization_endpoint": "https://example.com/authorization",
        "token_endpoint": "https://example.com/token",
        "userinfo_endpoint": "https://example.com/userinfo",
        "jwks_uri": "https://example.com/jwks.json",
        "pushed_authorization_request_endpoint": "https://example.com/par",
        "registration_endpoint": "https://example.com/register",
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "authorization_response_iss_parameter_supported": true,
    });
    m.as_object().unwrap().clone()
}

fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl Op {
    fn new(profile: &str) -> Self {
        let rp = RelyingParty::new(Config::default_config().unwrap());
        let session = rp
            .sessions
            .start(rp.config.profiles[profile].clone())
            .unwrap();
        Self {
            key: SigningKey::generate(JwsAlgorithm::RS256).unwrap(),
            rp,
            session,
            state: String::new(),
            nonce: None,
            auth_time: now() - 5,
        }
    }

    /// A session that discovered the OP, fetched its keys and logged in
    /// as diana (hybrid flow, code redeemed: tokens and an ID token).
    fn logged_in() -> Self {
        let mut op = Self::new("client");
        op.accepts(
            ClientService::ProviderInfo,
            &[],
            json_answer(200, &Value::Object(metadata())),
        );
        let jwks = json!({"keys": [op.key.public_jwk()]});
        op.accepts(ClientService::Jwks, &[], json_answer(200, &jwks));
        op.prepare(ClientService::Authorization, &HYBRID);
        let answer = op.hybrid_answer("code-1");
        op.parse(ClientService::Authorization, answer).assert_ok();
        op.prepare(ClientService::AccessToken, &[]);
        let answer = op.token_answer("at-1", "rt-1", Some(&op.id_token(&[])));
        op.parse(ClientService::AccessToken, answer).assert_ok();
        let view = op.view();
        assert_eq!(view.identity.as_ref().unwrap().sub, "diana");
        assert_eq!(view.tokens["access_token"], "at-1");
        assert_eq!(view.granted_scope.as_deref(), Some("openid foobar"));
        op
    }

    fn view(&self) -> SessionView {
        self.rp.sessions.with(&self.session, |s| s.view()).unwrap()
    }

    /// Prepares a step, remembering the state and nonce it sent.
    fn prepare(&mut self, service: ClientService, pairs: &[(&str, &str)]) {
        let prepared = self
            .rp
            .sessions
            .with(&self.session, |s| {
                service::prepare(&self.rp, s, service, &args(pairs))
            })
            .unwrap()
            .unwrap();
        let query: BTreeMap<String, String> =
            prepared.request.url.query_pairs().into_owned().collect();
        if service == ClientService::Authorization {
            self.state = query["state"].clone();
            self.nonce = query.get("nonce").cloned();
        }
    }

    fn parse(&self, service: ClientService, response: HttpResponse) -> Parsed {
        self.rp
            .sessions
            .with(&self.session, |s| {
                service::parse(&self.rp, s, service, &response)
            })
            .unwrap()
            .unwrap()
    }

    fn accepts(&mut self, service: ClientService, pairs: &[(&str, &str)], answer: HttpResponse) {
        self.prepare(service, pairs);
        self.parse(service, answer).assert_ok();
    }

    /// Prepares `service`, hands it `answer`, and asserts the answer was
    /// refused with `check` failing and that the session did not change.
    fn refuses(
        &mut self,
        service: ClientService,
        pairs: &[(&str, &str)],
        answer: impl FnOnce(&Self) -> HttpResponse,
        check: CheckId,
    ) {
        self.prepare(service, pairs);
        let before = self.view();
        let parsed = self.parse(service, answer(self));
        assert!(!parsed.ok(), "{check}: the answer was accepted");
        assert!(
            parsed.checks.iter().any(|c| c.id == check && !c.ok),
            "{check} did not fail: {:#?}",
            parsed.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>()
        );
        assert_eq!(self.view(), before, "{check}: the session changed");
    }

    /// An ID token for the request last prepared, as diana, with overrides
    /// (`Value::Null` removes a claim).
    fn id_token_with(&self, overrides: &[(&str, Value)], header: &[(&str, Value)]) -> String {
        let mut claims = json!({
            "iss": ISSUER,
            "sub": "diana",
            "aud": "client",
            "iat": now(),
            "exp": now() + 600,
            "auth_time": self.auth_time,
        });
        let map = claims.as_object_mut().unwrap();
        if let Some(nonce) = &self.nonce {
            map.insert("nonce".into(), json!(nonce));
        }
        for (k, v) in overrides {
            if v.is_null() {
                map.remove(*k);
            } else {
                map.insert((*k).to_owned(), v.clone());
            }
        }
        let mut head = json!({"alg": "RS256", "typ": "JWT", "kid": self.key.kid()});
        for (k, v) in header {
            head[*k] = v.clone();
        }
        self.key.sign_exact(&head, &claims).unwrap()
    }

    fn id_token(&self, overrides: &[(&str, &str)]) -> String {
        let overrides: Vec<(&str, Value)> = overrides.iter().map(|(k, v)| (*k, json!(v))).collect();
        self.id_token_with(&overrides, &[])
    }

    /// A hybrid response: code, ID token (with a fitting c_hash), state, iss.
    fn hybrid_answer(&self, code: &str) -> HttpResponse {
        self.hybrid_answer_with(code, &[], &self.state, ISSUER)
    }

    fn hybrid_answer_with(
        &self,
        code: &str,
        overrides: &[(&str, Value)],
        state: &str,
        iss: &str,
    ) -> HttpResponse {
        let c_hash = oauth_core::oidc::left_hash(JwsAlgorithm::RS256, code).unwrap();
        let mut all = vec![("c_hash", json!(c_hash))];
        all.extend(overrides.iter().cloned());
        let token = self.id_token_with(&all, &[]);
        redirect(&[
            ("code", code),
            ("id_token", &token),
            ("state", state),
            ("iss", iss),
        ])
    }

    fn token_answer(&self, access: &str, refresh: &str, id_token: Option<&str>) -> HttpResponse {
        let mut body = json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": refresh,
            "scope": "openid foobar",
        });
        if let Some(t) = id_token {
            body["id_token"] = json!(t);
        }
        json_answer(200, &body)
    }
}

trait AssertOk {
    fn assert_ok(&self);
}

impl AssertOk for Parsed {
    fn assert_ok(&self) {
        assert!(
            self.ok(),
            "refused: {:?} {:#?}",
            self.error,
            self.checks.iter().filter(|c| !c.ok).collect::<Vec<_>>()
        );
    }
}

const HYBRID: [(&str, &str); 2] = [
    ("scope", "openid foobar"),
    ("response_type", "code id_token"),
];
const IMPLICIT: [(&str, &str); 2] = [("response_type", "id_token"), ("scope", "openid")];

// Item 1: a refused response changes nothing, whatever it carries.

#[test]
fn a_hybrid_response_with_another_state_does_not_log_mallory_in() {
    let mut op = Op::logged_in();
    op.refuses(
        ClientService::Authorization,
        &HYBRID,
        |op| op.hybrid_answer_with("code-2", &[("sub", json!("mallory"))], "forged", ISSUER),
        CheckId::State,
    );
    // UserInfo about mallory is still refused: the login is diana's.
    op.prepare(ClientService::Userinfo, &[]);
    let parsed = op.parse(
        ClientService::Userinfo,
        json_answer(200, &json!({"sub": "mallory"})),
    );
    assert!(!parsed.ok());
    assert_eq!(op.view().identity.unwrap().sub, "diana");
}

#[test]
fn a_hybrid_response_from_another_issuer_does_not_log_mallory_in() {
    let mut op = Op::logged_in();
    op.refuses(
        ClientService::Authorization,
        &HYBRID,
        |op| {
            op.hybrid_answer_with(
                "code-2",
                &[("sub", json!("mallory"))],
                &op.state,
                "https://attacker.example/",
            )
        },
        CheckId::AuthorizationIss,
    );
}

#[test]
fn a_token_response_failing_its_own_checks_keeps_neither_tokens_nor_its_id_token() {
    let mut op = Op::logged_in();
    op.prepare(ClientService::Authorization, &HYBRID);
    let answer = op.hybrid_answer("code-2");
    op.parse(ClientService::Authorization, answer).assert_ok();
    op.refuses(
        ClientService::AccessToken,
        &[],
        |op| {
            let token = op.id_token(&[("sub", "mallory")]);
            let mut answer = op.token_answer("at-evil", "rt-evil", Some(&token));
            answer.headers.remove("cache-control");
            answer
        },
        CheckId::TokenNoStore,
    );
}

// Item 2: a refresh keeps the user, the audience and the grant.

#[test]
fn a_refresh_with_another_sub_is_refused() {
    let mut op = Op::logged_in();
    op.refuses(
        ClientService::RefreshToken,
        &[],
        |op| op.token_answer("at-2", "rt-2", Some(&op.id_token(&[("sub", "mallory")]))),
        CheckId::RefreshSub,
    );
}

#[test]
fn a_refresh_with_more_audiences_or_a_new_azp_is_refused() {
    let mut op = Op::logged_in();
    op.refuses(
        ClientService::RefreshToken,
        &[],
        |op| {
            let token = op.id_token_with(
                &[
                    ("aud", json!(["client", "client_2"])),
                    ("azp", json!("client")),
                ],
                &[],
            );
            op.token_answer("at-2", "rt-2", Some(&token))
        },
        CheckId::RefreshAud,
    );
    op.refuses(
        ClientService::RefreshToken,
        &[],
        |op| op.token_answer("at-2", "rt-2", Some(&op.id_token(&[("azp", "client")]))),
        CheckId::RefreshAzp,
    );
}

#[test]
fn a_refresh_granting_more_than_the_original_scope_is_refused() {
    let mut op = Op::logged_in();
    op.refuses(
        ClientService::RefreshToken,
        &[],
        |op| {
            let mut answer = op.token_answer("at-2", "rt-2", None);
            let mut body: Value = serde_json::from_str(&answer.body).unwrap();
            body["scope"] = json!("openid foobar admin");
            answer.body = body.to_string();
            answer
        },
        CheckId::ScopeWithinGrant,
    );
    // An honest refresh still works, and rotates the refresh token.
    op.accepts(
        ClientService::RefreshToken,
        &[],
        op.token_answer("at-3", "rt-3", Some(&op.id_token(&[]))),
    );
    let view = op.view();
    assert_eq!(view.tokens["refresh_token"], "rt-3");
    assert_eq!(view.tokens["previous_refresh_token"], "rt-1");
}

// Item 3: endpoints that would carry credentials elsewhere; keys refused.

#[test]
fn metadata_with_an_http_par_endpoint_is_not_kept_and_credentials_go_to_the_configured_one() {
    let mut op = Op::new("client");
    let mut m = metadata();
    m.insert(
        "pushed_authorization_request_endpoint".into(),
        json!("http://evil.example/par"),
    );
    let answer = json_answer(200, &Value::Object(m));
    op.refuses(
        ClientService::ProviderInfo,
        &[],
        |_| answer,
        CheckId::ParEndpointHttps,
    );
    assert_eq!(op.view().metadata, None);
    let prepared = op
        .rp
        .sessions
        .with(&op.session, |s| {
            service::prepare(&op.rp, s, ClientService::PushedAuthorization, &args(&[]))
        })
        .unwrap()
        .unwrap();
    assert_eq!(prepared.request.url.as_str(), "https://example.com/par");
}

#[test]
fn metadata_naming_another_scheme_on_loopback_is_refused() {
    let mut op = Op::logged_in();
    for bad in ["ftp://127.0.0.1/token", "http://evil.example/token"] {
        let mut m = metadata();
        m.insert("token_endpoint".into(), json!(bad));
        let answer = json_answer(200, &Value::Object(m));
        op.refuses(
            ClientService::ProviderInfo,
            &[],
            |_| answer,
            CheckId::TokenEndpointHttps,
        );
    }
    // Loopback over http is fine.
    let mut m = metadata();
    m.insert(
        "token_endpoint".into(),
        json!("http://127.0.0.1:8080/token"),
    );
    op.accepts(
        ClientService::ProviderInfo,
        &[],
        json_answer(200, &Value::Object(m)),
    );
}

#[test]
fn a_refused_key_set_never_verifies_an_id_token() {
    let mut op = Op::logged_in();
    let stranger = SigningKey::generate(JwsAlgorithm::RS256).unwrap();
    let mut answer = json_answer(200, &json!({"keys": [stranger.public_jwk()]}));
    answer
        .headers
        .insert("content-type".into(), "text/html".into());
    op.refuses(
        ClientService::Jwks,
        &[],
        |_| answer,
        CheckId::ContentTypeJson,
    );
    // The stranger's ID token does not verify with the keys kept.
    op.key = stranger;
    op.refuses(
        ClientService::Authorization,
        &IMPLICIT,
        |op| {
            let token = op.id_token(&[]);
            redirect(&[("id_token", &token), ("state", &op.state), ("iss", ISSUER)])
        },
        CheckId::IdTokenSignature,
    );
}

// Items 4-7: ID token checks.

fn implicit_refuses(overrides: &[(&str, Value)], header: &[(&str, Value)], check: CheckId) {
    let mut op = Op::logged_in();
    op.refuses(
        ClientService::Authorization,
        &IMPLICIT,
        |op| {
            let token = op.id_token_with(overrides, header);
            redirect(&[("id_token", &token), ("state", &op.state), ("iss", ISSUER)])
        },
        check,
    );
}

#[test]
fn an_id_token_with_a_crit_header_is_refused() {
    // RFC 7515 §4.1.11: an extension named critical that the RP does not know.
    implicit_refuses(
        &[],
        &[("crit", json!(["exp-ext"])), ("exp-ext", json!(1))],
        CheckId::IdTokenCrit,
    );
}

#[test]
fn an_id_token_before_its_nbf_is_refused() {
    implicit_refuses(&[("nbf", json!(now() + 3600))], &[], CheckId::IdTokenNbf);
}

#[test]
fn an_id_token_for_another_audience_too_is_refused() {
    implicit_refuses(
        &[
            ("aud", json!(["client", "https://rs.example/"])),
            ("azp", json!("client")),
        ],
        &[],
        CheckId::IdTokenAudTrusted,
    );
}

#[test]
fn an_id_token_with_a_non_string_audience_is_refused() {
    implicit_refuses(&[("aud", json!(["client", 42]))], &[], CheckId::IdTokenAud);
}

#[test]
fn a_front_channel_id_token_needs_a_nonce_even_without_openid() {
    let mut op = Op::logged_in();
    op.prepare(
        ClientService::Authorization,
        &[("response_type", "id_token"), ("scope", "email")],
    );
    assert!(
        op.nonce.is_some(),
        "no nonce sent for response_type id_token"
    );
    op.refuses(
        ClientService::Authorization,
        &[("response_type", "id_token"), ("scope", "email")],
        |op| {
            let token = op.id_token_with(&[("nonce", Value::Null)], &[]);
            redirect(&[("id_token", &token), ("state", &op.state), ("iss", ISSUER)])
        },
        CheckId::IdTokenNonce,
    );
}

// Item 8: bounded memory.

#[test]
fn oversized_metadata_is_refused_unread() {
    let mut op = Op::logged_in();
    let mut m = metadata();
    m.insert("x_padding".into(), json!("x".repeat(100 * 1024)));
    let answer = json_answer(200, &Value::Object(m));
    op.refuses(
        ClientService::ProviderInfo,
        &[],
        |_| answer,
        CheckId::AnswerWithinLimits,
    );
}

#[test]
fn metadata_keeps_only_the_members_the_rp_uses() {
    let mut op = Op::new("client");
    let mut m = metadata();
    for i in 0..500 {
        m.insert(
            format!("x_unknown_{i}"),
            json!([i, "something", {"deep": i}]),
        );
    }
    op.accepts(
        ClientService::ProviderInfo,
        &[],
        json_answer(200, &Value::Object(m)),
    );
    let kept = op.view().metadata.unwrap();
    assert_eq!(kept.issuer, ISSUER);
    assert!(kept.authorization_response_iss_parameter_supported);
    assert_eq!(
        kept.endpoint("token_endpoint"),
        Some("https://example.com/token")
    );
}

// Item 9: one client per session.

#[test]
fn a_second_registration_does_not_replace_the_client() {
    let mut op = Op::new("dynamic");
    op.accepts(
        ClientService::ProviderInfo,
        &[],
        json_answer(200, &Value::Object(metadata())),
    );
    let registered = |id: &str| {
        json_answer(
            201,
            &json!({
                "client_id": id,
                "client_secret": "s3cret",
                "client_secret_expires_at": 0,
                "token_endpoint_auth_method": "client_secret_basic",
                "redirect_uris": [REDIRECT],
            }),
        )
    };
    op.accepts(ClientService::Registration, &[], registered("first"));
    op.prepare(ClientService::Authorization, &[]);
    op.refuses(
        ClientService::Registration,
        &[],
        |_| registered("client_2"),
        CheckId::RegistrationClientKept,
    );
    assert_eq!(op.view().client_id, "first");
}

#[test]
fn an_endpoint_url_or_token_over_the_rps_bounds_is_refused() {
    let mut op = Op::logged_in();
    let mut m = metadata();
    m.insert(
        "token_endpoint".into(),
        json!(format!("https://example.com/{}", "p".repeat(2000))),
    );
    let answer = json_answer(200, &Value::Object(m));
    op.refuses(
        ClientService::ProviderInfo,
        &[],
        |_| answer,
        CheckId::ValueWithinBound,
    );
    op.refuses(
        ClientService::RefreshToken,
        &[],
        |op| op.token_answer(&"a".repeat(20_000), "rt-2", None),
        CheckId::ValueWithinBound,
    );
}

#[test]
fn a_registration_answered_200_is_taken_with_a_warning_not_refused() {
    // RFC 7591 §3.2.1 says the server "responds with" 201, with no MUST: a
    // provider answering 200 is graded by a SHOULD.
    let mut op = Op::new("dynamic");
    op.accepts(
        ClientService::ProviderInfo,
        &[],
        json_answer(200, &Value::Object(metadata())),
    );
    op.prepare(ClientService::Registration, &[]);
    let parsed = op.parse(
        ClientService::Registration,
        json_answer(
            200,
            &json!({
                "client_id": "answered-200",
                "client_secret": "s3cret",
                "client_secret_expires_at": 0,
                "token_endpoint_auth_method": "client_secret_basic",
                "redirect_uris": [REDIRECT],
            }),
        ),
    );
    assert!(parsed.ok(), "{:#?}", parsed.checks);
    let created = parsed
        .checks
        .iter()
        .find(|c| c.id == CheckId::RegistrationCreated)
        .expect("the 201 check");
    assert!(!created.ok);
    assert_eq!(created.level, rp_service::service::Level::Should);
    assert_eq!(op.view().client_id, "answered-200");
}
