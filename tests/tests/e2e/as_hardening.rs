//! The AS trusts only itself: each case an independent review (or the
//! clause-by-clause pass after it) found, refused the way the standard
//! says, against a real server on a loopback port.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{
    as_client, authorization_request, basic, body, client_basic, config_with_signer, error,
    form_post, now, redirect_params, start_with_config,
};
use jsonwebtoken::Algorithm;
use oauth_core::dpop;
use oauth_core::jose::{KeySet, SigningKey};
use oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient;
use oidc_story_proto::v1::{OAuthRequest, OAuthResponse};
use serde_json::{Value, json};
use tonic::transport::Channel;
use url::Url;

type As = AuthorizationServerClient<Channel>;

const CB: &str = "https%3A%2F%2Fexample.com%2Fcb";
const TOKEN: &str = "https://example.com/token";
const USERINFO: &str = "https://example.com/userinfo";
const REGISTER: &str = "https://example.com/register";
const JWT_BEARER: &str = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";
const AT_TYPE: &str = "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token";
const EXCHANGE: &str = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange";

async fn authorize(op: &mut As, query: &str) -> OAuthResponse {
    op.authorization(authorization_request(query))
        .await
        .unwrap()
        .into_inner()
}

async fn token(op: &mut As, form: &str, headers: &[(&str, &str)]) -> OAuthResponse {
    op.token(form_post(TOKEN, form, headers))
        .await
        .unwrap()
        .into_inner()
}

fn claims_of(jwt: &str) -> Value {
    oauth_core::jose::decode_unverified(jwt).unwrap().claims
}

/// A code for "client" with this scope, redeemed (with a DPoP proof when a
/// key is given).
async fn code_tokens(op: &mut As, scope: &str, key: Option<&SigningKey>) -> Value {
    let scope_q: String = url::form_urlencoded::byte_serialize(scope.as_bytes()).collect();
    let response = authorize(
        op,
        &format!(
            "response_type=code&client_id=client&redirect_uri={CB}&scope={scope_q}&state=s&nonce=n"
        ),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let auth = client_basic();
    let proof = key
        .map(|k| dpop::proof(k, "POST", &Url::parse(TOKEN).unwrap(), now(), None, None).unwrap());
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(p) = &proof {
        headers.push(("DPoP", p.as_str()));
    }
    let answer = token(
        op,
        &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        &headers,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    body(&answer)
}

fn userinfo(token: &str, scheme: &str, proof: Option<&str>, url: &str) -> OAuthRequest {
    let mut headers = std::collections::BTreeMap::from([(
        "Authorization".to_owned(),
        format!("{scheme} {token}"),
    )]);
    if let Some(p) = proof {
        headers.insert("DPoP".into(), p.to_owned());
    }
    OAuthRequest {
        method: "GET".into(),
        url: url.into(),
        headers,
        body: String::new(),
    }
}

// Item 1: token exchange keeps the sender constraint (RFC 9449 §6/§7,
// RFC 8693 §5) and never outlives its subject token.

#[tokio::test]
async fn exchanging_a_dpop_bound_token_needs_a_proof_by_its_key_and_stays_bound() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let tokens = code_tokens(&mut op, "openid foobar", Some(&key)).await;
    let subject = tokens["access_token"].as_str().unwrap();
    let form = format!(
        "grant_type={EXCHANGE}&subject_token={subject}&subject_token_type={AT_TYPE}&audience=https%3A%2F%2Fbackend.example.org%2F"
    );
    let auth = client_basic();
    let bare = token(&mut op, &form, &[("Authorization", &auth)]).await;
    assert_eq!(
        (bare.status, error(&bare).as_str()),
        (400, "invalid_request")
    );
    assert!(bare.body.contains("DPoP-bound"), "{}", bare.body);
    let other = SigningKey::generate(Algorithm::ES256).unwrap();
    let wrong = dpop::proof(
        &other,
        "POST",
        &Url::parse(TOKEN).unwrap(),
        now(),
        None,
        None,
    )
    .unwrap();
    let refused = token(
        &mut op,
        &form,
        &[("Authorization", &auth), ("DPoP", &wrong)],
    )
    .await;
    assert_eq!(error(&refused), "invalid_request");
    let right = dpop::proof(&key, "POST", &Url::parse(TOKEN).unwrap(), now(), None, None).unwrap();
    let ok = token(
        &mut op,
        &form,
        &[("Authorization", &auth), ("DPoP", &right)],
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let issued = body(&ok);
    assert_eq!(issued["token_type"], "DPoP");
    let new = claims_of(issued["access_token"].as_str().unwrap());
    let old = claims_of(subject);
    assert_eq!(
        new["cnf"]["jkt"], old["cnf"]["jkt"],
        "bound to the same key"
    );
    assert!(
        new["exp"].as_i64() <= old["exp"].as_i64(),
        "never outlives the subject token"
    );
}

#[tokio::test]
async fn an_exchanged_token_never_outlives_its_subject_token() {
    let clock = oauth_core::clock::ManualClock::new(now());
    let services = start_with_config(as_service::config::DEFAULT_CONFIG, Some(&clock)).await;
    let mut op = as_client(services.as_addr).await;
    let tokens = code_tokens(&mut op, "foobar", None).await;
    let mut subject = tokens["access_token"].as_str().unwrap().to_owned();
    let first_exp = claims_of(&subject)["exp"].as_i64().unwrap();
    let auth = client_basic();
    // Exchanging again and again, later each time, pushes nothing out.
    for _ in 0..3 {
        clock.advance(150);
        let answer = token(
            &mut op,
            &format!("grant_type={EXCHANGE}&subject_token={subject}&subject_token_type={AT_TYPE}"),
            &[("Authorization", &auth)],
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let issued = body(&answer);
        subject = issued["access_token"].as_str().unwrap().to_owned();
        assert!(claims_of(&subject)["exp"].as_i64().unwrap() <= first_exp);
        assert!(
            issued["expires_in"].as_i64().unwrap()
                <= first_exp - oauth_core::clock::Clock::now(&clock)
        );
    }
}

#[tokio::test]
async fn public_clients_get_no_token_exchange_unless_configured() {
    let config = as_service::config::DEFAULT_CONFIG.replace(
        "# Client credentials and resource owner password stories.",
        "[[clients]]\nclient_id = \"spa_x\"\ntoken_endpoint_auth_methods = [\"none\"]\n\
grant_types = [\"authorization_code\", \"urn:ietf:params:oauth:grant-type:token-exchange\"]\n\
response_types = [\"code\"]\nredirect_uris = [\"https://example.com/cb\"]\nscopes = [\"foobar\"]\n\n\
# Client credentials and resource owner password stories.",
    );
    let refused = as_service::config::Config::from_toml(&config).unwrap_err();
    assert!(refused.0.contains("public clients"), "{}", refused.0);
    let allowed = config.replace("public_clients = false", "public_clients = true");
    assert!(as_service::config::Config::from_toml(&allowed).is_ok());
}

// Item 2: the envelope URL is checked against the endpoint's canonical URL;
// htu and aud are compared with that URL only.

#[tokio::test]
async fn an_envelope_addressed_to_another_url_is_invalid_request_naming_the_endpoint() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let tokens = code_tokens(&mut op, "openid foobar", Some(&key)).await;
    let access = tokens["access_token"].as_str().unwrap();
    let photos = "https://rs.example.org/api/photos";
    let proof = dpop::proof(
        &key,
        "GET",
        &Url::parse(photos).unwrap(),
        now(),
        Some(access),
        None,
    )
    .unwrap();
    let refused = op
        .userinfo(userinfo(access, "DPoP", Some(&proof), photos))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (refused.status, error(&refused).as_str()),
        (400, "invalid_request")
    );
    assert!(refused.body.contains(USERINFO), "{}", refused.body);
    // The same token with a proof for the real endpoint works.
    let proof = dpop::proof(
        &key,
        "GET",
        &Url::parse(USERINFO).unwrap(),
        now(),
        Some(access),
        None,
    )
    .unwrap();
    let ok = op
        .userinfo(userinfo(access, "DPoP", Some(&proof), USERINFO))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200, "{}", ok.body);
    // Another host, scheme or path at the token endpoint: refused too.
    for url in [
        "https://as.attacker.example/token",
        "http://example.com/token",
        "https://example.com/token/../introspection",
        "https://example.com:8443/token",
    ] {
        let answer = op
            .token(form_post(url, "grant_type=client_credentials", &[]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(error(&answer), "invalid_request", "{url}: {}", answer.body);
    }
}

/// A private_key_jwt assertion for "signer" with a claim changed.
fn assertion(key: &SigningKey, change: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({
        "iss": "signer", "sub": "signer", "aud": TOKEN,
        "jti": oauth_core::random::token(16), "iat": now(), "exp": now() + 60,
    });
    change(&mut claims);
    key.sign("JWT", &claims).unwrap()
}

#[tokio::test]
async fn client_assertions_are_checked_claim_by_claim() {
    let client_key = KeySet::generate_ec();
    let services = start_with_config(&config_with_signer(&client_key, ""), None).await;
    let mut op = as_client(services.as_addr).await;
    let key = &client_key.keys()[0];
    let present = |a: String| {
        format!(
            "grant_type=refresh_token&refresh_token=x&client_id=signer&client_assertion_type={JWT_BEARER}&client_assertion={a}"
        )
    };
    let cases: Vec<(&str, String)> = vec![
        // RFC 7523 §3 item 3: another server's token endpoint.
        (
            "aud of another server",
            assertion(key, |c| c["aud"] = json!("https://other.example/token")),
        ),
        // RFC 7523 §3 item 4: ten years ahead.
        (
            "exp ten years ahead",
            assertion(key, |c| c["exp"] = json!(now() + 315_360_000)),
        ),
        (
            "expired (past the 60 s leeway)",
            assertion(key, |c| c["exp"] = json!(now() - 120)),
        ),
        (
            "not yet valid",
            assertion(key, |c| c["nbf"] = json!(now() + 3600)),
        ),
        (
            "iss another client",
            assertion(key, |c| c["iss"] = json!("client")),
        ),
        (
            "sub another client",
            assertion(key, |c| c["sub"] = json!("client")),
        ),
        (
            "a jti of 10 KB",
            assertion(key, |c| c["jti"] = json!("j".repeat(10_000))),
        ),
        (
            "no jti",
            assertion(key, |c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
        ),
    ];
    for (case, a) in cases {
        let answer = token(&mut op, &present(a), &[]).await;
        assert_eq!(
            (answer.status, error(&answer).as_str()),
            (401, "invalid_client"),
            "{case}: {}",
            answer.body
        );
    }
    // The issuer is an acceptable audience; past authentication the
    // refresh token (a made-up one) is what fails.
    let ok = token(
        &mut op,
        &present(assertion(key, |c| c["aud"] = json!("https://example.com/"))),
        &[],
    )
    .await;
    assert_eq!(error(&ok), "invalid_grant", "{}", ok.body);
}

// Item 3: claims only within the client's scopes (OIDC Core §5.4, §5.5).

#[tokio::test]
async fn the_claims_parameter_releases_nothing_beyond_the_clients_scopes() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    // "client" may have profile and email, not phone or address.
    let claims = r#"{"userinfo":{"phone_number":null,"address":null,"name":null},"id_token":{"email":null,"phone_number":null}}"#;
    let claims_q: String = url::form_urlencoded::byte_serialize(claims.as_bytes()).collect();
    let response = authorize(
        &mut op,
        &format!("response_type=code&client_id=client&redirect_uri={CB}&scope=openid&state=s&nonce=n&claims={claims_q}"),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let answer = token(
        &mut op,
        &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        &[("Authorization", &client_basic())],
    )
    .await;
    let tokens = body(&answer);
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        id["email"], "diana@example.org",
        "email: the client may have scope email"
    );
    assert!(id.get("phone_number").is_none());
    let info = op
        .userinfo(userinfo(
            tokens["access_token"].as_str().unwrap(),
            "Bearer",
            None,
            USERINFO,
        ))
        .await
        .unwrap()
        .into_inner();
    let info = body(&info);
    assert_eq!(info["name"], "Diana Krall");
    assert!(
        info.get("phone_number").is_none() && info.get("address").is_none(),
        "{info}"
    );
}

// Item 4 is in client_assertions_are_checked_claim_by_claim.

// Item 5: open registration is bounded.

async fn register(op: &mut As, metadata: &Value) -> OAuthResponse {
    op.registration(OAuthRequest {
        method: "POST".into(),
        url: REGISTER.into(),
        headers: [("Content-Type".to_owned(), "application/json".to_owned())].into(),
        body: metadata.to_string(),
    })
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn registration_caps_metadata_size_and_key_count_and_rate_limits_each_caller() {
    let services = start_with_config(
        &as_service::config::DEFAULT_CONFIG.replace(
            "max_per_caller_per_minute = 30",
            "max_per_caller_per_minute = 3",
        ),
        None,
    )
    .await;
    let mut op = as_client(services.as_addr).await;
    let keys: Vec<Value> = (0..330)
        .map(|_| {
            SigningKey::generate(Algorithm::ES256)
                .unwrap()
                .public_jwk()
                .clone()
        })
        .collect();
    let many = register(
        &mut op,
        &json!({"redirect_uris": ["https://rp.example/cb"], "jwks": {"keys": keys[..5]}}),
    )
    .await;
    assert_eq!(error(&many), "invalid_client_metadata", "{}", many.body);
    assert!(many.body.contains("at most 4"), "{}", many.body);
    let huge = register(
        &mut op,
        &json!({"redirect_uris": ["https://rp.example/cb"], "jwks": {"keys": keys[..200]}}),
    )
    .await;
    assert_eq!(error(&huge), "invalid_client_metadata");
    assert!(huge.body.contains("bytes"), "{}", huge.body);
    let plain = json!({"redirect_uris": ["https://rp.example/cb"]});
    for _ in 0..3 {
        let ok = register(&mut op, &plain).await;
        assert_eq!(ok.status, 201, "{}", ok.body);
    }
    let limited = register(&mut op, &plain).await;
    assert_eq!(
        (limited.status, error(&limited).as_str()),
        (429, "temporarily_unavailable")
    );
    let retry: i64 = limited.headers["retry-after"].parse().unwrap();
    assert!((1..=60).contains(&retry));
}

#[tokio::test]
async fn a_registered_client_left_unused_is_forgotten_and_frees_its_place() {
    let clock = oauth_core::clock::ManualClock::new(now());
    let config =
        as_service::config::DEFAULT_CONFIG.replace("max_clients = 10000", "max_clients = 1");
    let services = start_with_config(&config, Some(&clock)).await;
    let mut op = as_client(services.as_addr).await;
    let plain = json!({"redirect_uris": ["https://rp.example/cb"]});
    let first = body(&register(&mut op, &plain).await);
    let full = register(&mut op, &plain).await;
    assert_eq!(
        (full.status, error(&full).as_str()),
        (503, "temporarily_unavailable")
    );
    clock.advance(86_401);
    let id = first["client_id"].as_str().unwrap();
    let gone = authorize(
        &mut op,
        &format!("response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Frp.example%2Fcb"),
    )
    .await;
    assert_eq!(gone.status, 400, "an unused registration is forgotten");
    assert_eq!(
        register(&mut op, &plain).await.status,
        201,
        "its place is free again"
    );
}

// Item 6: what the anonymous authorization endpoint keeps is bounded.

#[tokio::test]
async fn a_large_claims_parameter_and_too_many_outstanding_codes_are_refused() {
    let config = as_service::config::DEFAULT_CONFIG
        .replace("max_outstanding_codes = 1000", "max_outstanding_codes = 2");
    let services = start_with_config(&config, None).await;
    let mut op = as_client(services.as_addr).await;
    let big = format!(r#"{{"userinfo":{{"{}":null}}}}"#, "x".repeat(5000));
    let big: String = url::form_urlencoded::byte_serialize(big.as_bytes()).collect();
    let refused = authorize(&mut op, &format!("response_type=code&client_id=client&redirect_uri={CB}&scope=openid&nonce=n&claims={big}")).await;
    assert_eq!(redirect_params(&refused)["error"], "invalid_request");
    let query = format!("response_type=code&client_id=client&redirect_uri={CB}&scope=foobar");
    for _ in 0..2 {
        assert!(redirect_params(&authorize(&mut op, &query).await).contains_key("code"));
    }
    let capped = redirect_params(&authorize(&mut op, &query).await);
    assert_eq!(capped["error"], "temporarily_unavailable");
    assert!(!capped.contains_key("code"));
}

// Items 7 and 8: what open registration offers, and the password grant.

#[tokio::test]
async fn registration_offers_neither_password_nor_client_credentials_to_anyone() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    for (method, grant) in [
        ("client_secret_basic", "password"),
        ("none", "client_credentials"),
        ("client_secret_basic", "client_credentials"),
        ("none", "urn:ietf:params:oauth:grant-type:token-exchange"),
    ] {
        let answer = register(
            &mut op,
            &json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": method,
                    "grant_types": ["authorization_code", grant]}),
        )
        .await;
        assert_eq!(
            error(&answer),
            "invalid_client_metadata",
            "{method} {grant}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn a_public_client_is_refused_client_credentials_even_if_configured() {
    let config = as_service::config::DEFAULT_CONFIG.replace(
        "# Client credentials and resource owner password stories.",
        "[[clients]]\nclient_id = \"cli\"\ntoken_endpoint_auth_methods = [\"none\"]\n\
grant_types = [\"client_credentials\"]\nscopes = [\"resourceA\"]\n\n\
# Client credentials and resource owner password stories.",
    );
    let refused = as_service::config::Config::from_toml(&config).unwrap_err();
    assert!(refused.0.contains("confidential"), "{}", refused.0);
}

#[tokio::test]
async fn failed_passwords_lock_the_user_and_then_the_client_for_the_window() {
    let clock = oauth_core::clock::ManualClock::new(now());
    let services = start_with_config(as_service::config::DEFAULT_CONFIG, Some(&clock)).await;
    let mut op = as_client(services.as_addr).await;
    let auth = basic("client_1", "another password");
    let attempt = |user: &str, password: &str| {
        format!("grant_type=password&username={user}&password={password}")
    };
    for _ in 0..5 {
        let wrong = token(
            &mut op,
            &attempt("upper", "guess"),
            &[("Authorization", &auth)],
        )
        .await;
        assert_eq!(error(&wrong), "invalid_grant");
    }
    let locked = token(
        &mut op,
        &attempt("upper", "crust"),
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(
        error(&locked),
        "invalid_grant",
        "the right password, too late"
    );
    assert!(
        locked.body.contains("too many failed password attempts"),
        "{}",
        locked.body
    );
    assert!(locked.headers.contains_key("retry-after"));
    // Another user of the same client still gets in.
    let diana = token(
        &mut op,
        &attempt("diana", "krall"),
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(diana.status, 200, "{}", diana.body);
    // The window ends: the user is let in again.
    clock.advance(301);
    let later = token(
        &mut op,
        &attempt("upper", "crust"),
        &[("Authorization", &auth)],
    )
    .await;
    assert_eq!(later.status, 200, "{}", later.body);
    // Twenty failures across users lock the client.
    for i in 0..20 {
        token(
            &mut op,
            &attempt(&format!("nobody{i}"), "guess"),
            &[("Authorization", &auth)],
        )
        .await;
    }
    let client_locked = token(
        &mut op,
        &attempt("diana", "krall"),
        &[("Authorization", &auth)],
    )
    .await;
    assert!(
        client_locked.body.contains("this client"),
        "{}",
        client_locked.body
    );
}

// The clause-by-clause pass.

#[tokio::test]
async fn userinfo_refuses_a_token_exchanged_for_another_audience() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let tokens = code_tokens(&mut op, "openid foobar", None).await;
    let subject = tokens["access_token"].as_str().unwrap();
    assert!(
        claims_of(subject)["aud"]
            .as_array()
            .unwrap()
            .contains(&json!(USERINFO))
    );
    let exchanged = token(
        &mut op,
        &format!("grant_type={EXCHANGE}&subject_token={subject}&subject_token_type={AT_TYPE}&resource=https%3A%2F%2Fbackend.example.org%2F"),
        &[("Authorization", &client_basic())],
    )
    .await;
    let backend = body(&exchanged)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = op
        .userinfo(userinfo(&backend, "Bearer", None, USERINFO))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.status, 401, "{}", refused.body);
    // RFC 8693 §2.2.2: a resource the client may not ask for.
    let unknown = token(
        &mut op,
        &format!("grant_type={EXCHANGE}&subject_token={subject}&subject_token_type={AT_TYPE}&resource=https%3A%2F%2Fevil.example%2F"),
        &[("Authorization", &client_basic())],
    )
    .await;
    assert_eq!(error(&unknown), "invalid_target");
}

#[tokio::test]
async fn a_request_for_another_user_is_login_required_and_an_unmeetable_acr_access_denied() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let ask = |claims: &str| {
        let q: String = url::form_urlencoded::byte_serialize(claims.as_bytes()).collect();
        format!(
            "response_type=code&client_id=client&redirect_uri={CB}&scope=openid&nonce=n&claims={q}"
        )
    };
    let other = authorize(&mut op, &ask(r#"{"id_token":{"sub":{"value":"babs"}}}"#)).await;
    assert_eq!(redirect_params(&other)["error"], "login_required");
    let same = authorize(&mut op, &ask(r#"{"id_token":{"sub":{"value":"diana"}}}"#)).await;
    assert!(redirect_params(&same).contains_key("code"));
    let acr = authorize(
        &mut op,
        &ask(r#"{"id_token":{"acr":{"essential":true,"values":["urn:mace:incommon:iap:gold"]}}}"#),
    )
    .await;
    assert_eq!(redirect_params(&acr)["error"], "access_denied");
    let hint = authorize(&mut op, "response_type=code&client_id=client&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&scope=openid&nonce=n&id_token_hint=not.a.jwt").await;
    assert_eq!(redirect_params(&hint)["error"], "invalid_request");
}

#[tokio::test]
async fn oidc_requests_need_a_redirect_uri_and_prompt_none_stands_alone() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let no_uri = authorize(
        &mut op,
        "response_type=code&client_id=client&scope=openid&nonce=n",
    )
    .await;
    assert_eq!(
        (no_uri.status, error(&no_uri).as_str()),
        (400, "invalid_request")
    );
    let prompt = authorize(&mut op, &format!("response_type=code&client_id=client&redirect_uri={CB}&scope=openid&nonce=n&prompt=none%20login")).await;
    assert_eq!(redirect_params(&prompt)["error"], "invalid_request");
}

#[tokio::test]
async fn errors_for_a_registered_client_are_answered_not_redirected() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let client = body(
        &register(
            &mut op,
            &json!({"redirect_uris": ["https://phish.example/cb"]}),
        )
        .await,
    );
    let id = client["client_id"].as_str().unwrap();
    let answer = authorize(&mut op, &format!("response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fphish.example%2Fcb&scope=not-a-scope")).await;
    assert_eq!(
        (answer.status, error(&answer).as_str()),
        (400, "invalid_scope")
    );
    assert!(answer.location.is_empty());
}

#[tokio::test]
async fn offline_access_needs_a_code_and_for_a_registered_client_prompt_consent() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let client = body(&register(&mut op, &json!({"redirect_uris": ["https://rp.example/cb"], "scope": "openid offline_access", "grant_types": ["authorization_code", "refresh_token"]})).await);
    let id = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();
    for (prompt, kept) in [("", false), ("&prompt=consent", true)] {
        let response = authorize(&mut op, &format!("response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid%20offline_access&nonce=n{prompt}")).await;
        let code = redirect_params(&response)["code"].clone();
        let answer = token(&mut op, &format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Frp.example%2Fcb"), &[("Authorization", &basic(id, secret))]).await;
        let scope = body(&answer)["scope"].as_str().unwrap().to_owned();
        assert_eq!(scope.contains("offline_access"), kept, "{prompt}: {scope}");
    }
}

#[tokio::test]
async fn required_par_refuses_a_request_object_by_value_and_par_refuses_a_mismatched_dpop_jkt() {
    let client_key = KeySet::generate_ec();
    let config = config_with_signer(&client_key, "").replace("required = false", "required = true");
    let services = start_with_config(&config, None).await;
    let mut op = as_client(services.as_addr).await;
    let key = &client_key.keys()[0];
    let object = key
        .sign(
            "oauth-authz-req+jwt",
            &json!({"iss": "signer", "aud": "https://example.com/", "client_id": "signer",
            "response_type": "code", "redirect_uri": "https://example.com/cb", "scope": "foobar",
            "iat": now(), "exp": now() + 600}),
        )
        .unwrap();
    let by_value = authorize(&mut op, &format!("client_id=signer&request={object}")).await;
    assert_eq!(
        (by_value.status, error(&by_value).as_str()),
        (400, "invalid_request")
    );
    let dpop_key = SigningKey::generate(Algorithm::ES256).unwrap();
    let proof = dpop::proof(
        &dpop_key,
        "POST",
        &Url::parse("https://example.com/par").unwrap(),
        now(),
        None,
        None,
    )
    .unwrap();
    let pushed = op
        .pushed_authorization(form_post(
            "https://example.com/par",
            &format!(
                "response_type=code&redirect_uri={CB}&scope=foobar&dpop_jkt=not-the-proof-key"
            ),
            &[("Authorization", &client_basic()), ("DPoP", &proof)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(error(&pushed), "invalid_request", "{}", pushed.body);
}

#[test]
fn configured_clients_may_not_use_http_redirect_uris_or_a_users_name() {
    let http = as_service::config::DEFAULT_CONFIG.replace(
        "redirect_uris = [\"https://example.com/cb\"]",
        "redirect_uris = [\"http://example.com/cb\"]",
    );
    assert!(
        as_service::config::Config::from_toml(&http)
            .unwrap_err()
            .0
            .contains("http")
    );
    let loopback = as_service::config::DEFAULT_CONFIG.replace(
        "redirect_uris = [\"https://example.com/cb\"]",
        "redirect_uris = [\"http://127.0.0.1:8080/cb\"]",
    );
    assert!(as_service::config::Config::from_toml(&loopback).is_ok());
    let named = as_service::config::DEFAULT_CONFIG
        .replace("client_id = \"client_2\"", "client_id = \"babs\"");
    assert!(
        as_service::config::Config::from_toml(&named)
            .unwrap_err()
            .0
            .contains("user")
    );
}

#[tokio::test]
async fn a_user_claim_never_stands_in_for_a_protocol_claim() {
    let config = as_service::config::DEFAULT_CONFIG.replace(
        "[users.diana.claims]\nname = \"Diana Krall\"",
        "[users.diana.claims]\nname = \"Diana Krall\"\niss = \"https://evil.example/\"\nexp = 9999999999",
    );
    let services = start_with_config(&config, None).await;
    let mut op = as_client(services.as_addr).await;
    let claims = r#"{"id_token":{"iss":null,"exp":null,"name":null}}"#;
    let q: String = url::form_urlencoded::byte_serialize(claims.as_bytes()).collect();
    let response = authorize(
        &mut op,
        &format!("response_type=id_token&client_id=client&redirect_uri={CB}&scope=openid%20profile&nonce=n&claims={q}"),
    )
    .await;
    let id = claims_of(&redirect_params(&response)["id_token"]);
    assert_eq!(id["iss"], "https://example.com/");
    assert!(id["exp"].as_i64().unwrap() < 9_999_999_999);
    assert_eq!(id["name"], "Diana Krall");
}
