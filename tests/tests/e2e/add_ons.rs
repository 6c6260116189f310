//! JAR, PAR and DPoP against real servers: each protection refuses what it
//! is there to refuse.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{
    Services, as_client, authorization_request, basic, body, config_with_signer, error, form_post,
    now, redirect_params, start_with_config as start_with,
};
use jsonwebtoken::Algorithm;
use oauth_core::clock::ManualClock;
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
const PAR: &str = "https://example.com/par";
const ISSUER: &str = "https://example.com/";

/// A request object for client "signer", with a claim changed.
fn request_object(key: &SigningKey, change: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({
        "iss": "signer", "aud": ISSUER, "client_id": "signer",
        "response_type": "code", "redirect_uri": "https://example.com/cb",
        "scope": "foobar", "state": "from-the-object",
        "iat": now(), "exp": now() + 600,
    });
    change(&mut claims);
    key.sign("oauth-authz-req+jwt", &claims).unwrap()
}

async fn authorize(op: &mut As, query: &str) -> OAuthResponse {
    op.authorization(authorization_request(query))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_request_object_is_the_only_source_of_parameters() {
    let client_key = KeySet::generate_ec();
    let services = start_with(&config_with_signer(&client_key, ""), None).await;
    let mut op = as_client(services.as_addr).await;
    let key = &client_key.keys()[0];
    let object = request_object(key, |_| {});
    // The outer scope and state are ignored: only the object counts (RFC 9101 §6.3).
    let response = authorize(
        &mut op,
        &format!("client_id=signer&request={object}&scope=openid&state=outer"),
    )
    .await;
    assert_eq!(response.status, 302, "{}", response.body);
    let params = redirect_params(&response);
    assert_eq!(params["state"], "from-the-object");
    assert!(params.contains_key("code"));
}

#[tokio::test]
async fn jar_refusals_are_invalid_request_object() {
    let client_key = KeySet::generate_ec();
    let services = start_with(&config_with_signer(&client_key, ""), None).await;
    let mut op = as_client(services.as_addr).await;
    let key = &client_key.keys()[0];
    let b64 = |v: &Value| {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            v.to_string(),
        )
    };
    let claims = json!({"iss": "signer", "aud": ISSUER, "client_id": "signer", "response_type": "code",
        "redirect_uri": "https://example.com/cb", "exp": now() + 600});
    let stranger = SigningKey::generate(Algorithm::ES256).unwrap();
    let rs256 = SigningKey::generate(Algorithm::RS256).unwrap();
    let cases = [
        (
            "alg none",
            format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims)),
        ),
        (
            "a foreign key",
            stranger.sign("oauth-authz-req+jwt", &claims).unwrap(),
        ),
        (
            "another alg than registered",
            rs256.sign("oauth-authz-req+jwt", &claims).unwrap(),
        ),
        (
            "expired",
            request_object(key, |c| c["exp"] = json!(now() - 120)),
        ),
        (
            "too long-lived",
            request_object(key, |c| c["exp"] = json!(now() + 86_400)),
        ),
        (
            "mismatched client_id",
            request_object(key, |c| c["client_id"] = json!("client")),
        ),
        (
            "wrong iss",
            request_object(key, |c| c["iss"] = json!("client")),
        ),
        (
            "wrong aud",
            request_object(key, |c| c["aud"] = json!("https://elsewhere.example/")),
        ),
        (
            "not yet valid",
            request_object(key, |c| c["nbf"] = json!(now() + 3600)),
        ),
    ];
    // RFC 6749 §4.1.2.1: a refused object naming the client's registered
    // redirect URI is answered there, with the error.
    for (case, object) in cases {
        let response = authorize(&mut op, &format!("client_id=signer&request={object}")).await;
        assert_eq!(response.status, 302, "{case}: {}", response.body);
        let location = url::Url::parse(&response.location).unwrap();
        assert!(
            response.location.starts_with("https://example.com/cb?"),
            "{case}: {location}"
        );
        let error = location
            .query_pairs()
            .find(|(k, _)| k == "error")
            .map(|(_, v)| v.into_owned());
        assert_eq!(error.as_deref(), Some("invalid_request_object"), "{case}");
    }
    // One naming a URI the client never registered is never redirected.
    let elsewhere = json!({"iss": "signer", "aud": ISSUER, "client_id": "signer", "response_type": "code",
        "redirect_uri": "https://attacker.example/cb", "exp": now() + 600});
    let object = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&elsewhere));
    let response = authorize(&mut op, &format!("client_id=signer&request={object}")).await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert!(response.location.is_empty(), "never redirected");
    assert_eq!(error(&response), "invalid_request_object");
}

async fn push(op: &mut As, auth: &str, extra: &str) -> OAuthResponse {
    op.pushed_authorization(form_post(
        PAR,
        &format!("response_type=code&redirect_uri={CB}&scope=foobar&state=s{extra}"),
        &[("Authorization", auth)],
    ))
    .await
    .unwrap()
    .into_inner()
}

#[tokio::test]
async fn a_request_uri_is_single_use_bound_to_its_client_and_expires() {
    let clock = ManualClock::new(1_800_000_000);
    let client_key = KeySet::generate_ec();
    let services = start_with(&config_with_signer(&client_key, ""), Some(&clock)).await;
    let mut op = as_client(services.as_addr).await;
    let auth = basic("client", "SUPERhemligtlösenord");
    let pushed = push(&mut op, &auth, "").await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    assert_eq!(body(&pushed)["expires_in"], 60);
    let uri = body(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let encoded: String = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect();

    // Another client presenting it: refused, and the owner can still use it.
    let stolen = authorize(&mut op, &format!("client_id=signer&request_uri={encoded}")).await;
    assert_eq!(
        (stolen.status, error(&stolen).as_str()),
        (400, "invalid_request_uri")
    );
    let used = authorize(&mut op, &format!("client_id=client&request_uri={encoded}")).await;
    assert_eq!(used.status, 302, "{}", used.body);
    assert!(redirect_params(&used).contains_key("code"));
    let reused = authorize(&mut op, &format!("client_id=client&request_uri={encoded}")).await;
    assert_eq!(
        (reused.status, error(&reused).as_str()),
        (400, "invalid_request_uri")
    );

    let pushed = push(&mut op, &auth, "").await;
    let uri = body(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let encoded: String = url::form_urlencoded::byte_serialize(uri.as_bytes()).collect();
    clock.advance(61);
    let expired = authorize(&mut op, &format!("client_id=client&request_uri={encoded}")).await;
    assert_eq!(
        (expired.status, error(&expired).as_str()),
        (400, "invalid_request_uri")
    );

    let fetch = authorize(
        &mut op,
        "client_id=client&request_uri=https%3A%2F%2Fexample.com%2Fro",
    )
    .await;
    assert_eq!(error(&fetch), "invalid_request_uri", "no URL is fetched");
}

#[tokio::test]
async fn par_checks_the_request_and_the_client_at_push_time() {
    let client_key = KeySet::generate_ec();
    let services = start_with(&config_with_signer(&client_key, ""), None).await;
    let mut op = as_client(services.as_addr).await;
    let auth = basic("client", "SUPERhemligtlösenord");
    let bad_scope = push(&mut op, &auth, "&scope=admin").await;
    assert_eq!(bad_scope.status, 400);
    let unauthenticated = op
        .pushed_authorization(form_post(
            PAR,
            &format!("response_type=code&client_id=client&redirect_uri={CB}"),
            &[],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (unauthenticated.status, error(&unauthenticated).as_str()),
        (401, "invalid_client")
    );
    let with_uri = push(&mut op, &auth, "&request_uri=urn%3Ax").await;
    assert_eq!(error(&with_uri), "invalid_request");
}

#[tokio::test]
async fn par_accepts_private_key_jwt_once_per_assertion_and_a_pushed_request_object() {
    let client_key = KeySet::generate_ec();
    let services = start_with(&config_with_signer(&client_key, ""), None).await;
    let mut op = as_client(services.as_addr).await;
    let key = &client_key.keys()[0];
    let assertion = oauth_core::client_auth::client_assertion(key, "signer", PAR, now()).unwrap();
    let form = format!(
        "client_id=signer&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}&request={}",
        request_object(key, |_| {})
    );
    let ok = op
        .pushed_authorization(form_post(PAR, &form, &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 201, "{}", ok.body);
    // The pushed request object, used by reference (RFC 9126 §3, RFC 9101 §5.2).
    let uri: String =
        url::form_urlencoded::byte_serialize(body(&ok)["request_uri"].as_str().unwrap().as_bytes())
            .collect();
    let used = authorize(&mut op, &format!("client_id=signer&request_uri={uri}")).await;
    assert_eq!(used.status, 302, "{}", used.body);
    assert_eq!(redirect_params(&used)["state"], "from-the-object");
    let replay = op
        .pushed_authorization(form_post(PAR, &form, &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (replay.status, error(&replay).as_str()),
        (401, "invalid_client")
    );
    let foreign = oauth_core::client_auth::client_assertion(
        &SigningKey::generate(Algorithm::ES256).unwrap(),
        "signer",
        PAR,
        now(),
    )
    .unwrap();
    let forged = op
        .pushed_authorization(form_post(
            PAR,
            &format!("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={foreign}&response_type=code&redirect_uri={CB}"),
            &[],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(error(&forged), "invalid_client");
}

#[tokio::test]
async fn required_par_refuses_plain_authorization_requests() {
    let client_key = KeySet::generate_ec();
    let config = config_with_signer(&client_key, "").replace("required = false", "required = true");
    let services = start_with(&config, None).await;
    let mut op = as_client(services.as_addr).await;
    let plain = authorize(
        &mut op,
        &format!("response_type=code&client_id=client&redirect_uri={CB}&state=s"),
    )
    .await;
    assert_eq!(plain.status, 400);
    let auth = basic("client", "SUPERhemligtlösenord");
    let pushed = push(&mut op, &auth, "").await;
    let uri: String = url::form_urlencoded::byte_serialize(
        body(&pushed)["request_uri"].as_str().unwrap().as_bytes(),
    )
    .collect();
    let used = authorize(&mut op, &format!("client_id=client&request_uri={uri}")).await;
    assert_eq!(used.status, 302);
}

/// A code for "client" (or another client), redeemed with a DPoP proof.
async fn dpop_tokens(
    op: &mut As,
    key: &SigningKey,
    client_id: &str,
    auth: Option<&str>,
) -> OAuthResponse {
    let response = authorize(
        op,
        &format!("response_type=code&client_id={client_id}&redirect_uri={CB}&scope=foobar&state=s"),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let proof = dpop::proof(key, "POST", &Url::parse(TOKEN).unwrap(), now(), None, None).unwrap();
    let mut headers = vec![("DPoP", proof.as_str())];
    if let Some(a) = auth {
        headers.push(("Authorization", a));
    }
    let body_text = match auth {
        Some(_) => format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        None => format!(
            "grant_type=authorization_code&code={code}&redirect_uri={CB}&client_id={client_id}"
        ),
    };
    op.token(form_post(TOKEN, &body_text, &headers))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_replayed_proof_or_one_for_another_url_or_method_is_refused() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let auth = basic("client", "SUPERhemligtlösenord");
    let token_url = Url::parse(TOKEN).unwrap();
    let cases = [
        (
            "another URL",
            dpop::proof(
                &key,
                "POST",
                &Url::parse("https://example.com/userinfo").unwrap(),
                now(),
                None,
                None,
            )
            .unwrap(),
        ),
        (
            "another method",
            dpop::proof(&key, "GET", &token_url, now(), None, None).unwrap(),
        ),
        (
            "too old",
            dpop::proof(&key, "POST", &token_url, now() - 3600, None, None).unwrap(),
        ),
        (
            "from the future",
            dpop::proof(&key, "POST", &token_url, now() + 3600, None, None).unwrap(),
        ),
    ];
    for (case, proof) in cases {
        let response = authorize(
            &mut op,
            &format!("response_type=code&client_id=client&redirect_uri={CB}&state=s"),
        )
        .await;
        let code = redirect_params(&response)["code"].clone();
        let refused = op
            .token(form_post(
                TOKEN,
                &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
                &[("Authorization", &auth), ("DPoP", &proof)],
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (refused.status, error(&refused).as_str()),
            (400, "invalid_dpop_proof"),
            "{case}"
        );
    }
    // Replay: the same proof twice.
    let proof = dpop::proof(&key, "POST", &token_url, now(), None, None).unwrap();
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let response = authorize(
            &mut op,
            &format!("response_type=code&client_id=client&redirect_uri={CB}&state=s"),
        )
        .await;
        let code = redirect_params(&response)["code"].clone();
        let answer = op
            .token(form_post(
                TOKEN,
                &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
                &[("Authorization", &auth), ("DPoP", &proof)],
            ))
            .await
            .unwrap()
            .into_inner();
        statuses.push((answer.status, error(&answer)));
    }
    assert_eq!(statuses[0].0, 200);
    assert_eq!(statuses[1], (400, "invalid_dpop_proof".to_owned()));
}

fn userinfo(scheme: &str, token: &str, proof: Option<&str>) -> OAuthRequest {
    let mut headers = std::collections::BTreeMap::from([(
        "Authorization".to_owned(),
        format!("{scheme} {token}"),
    )]);
    if let Some(p) = proof {
        headers.insert("DPoP".into(), p.into());
    }
    OAuthRequest {
        method: "GET".into(),
        url: "https://example.com/userinfo".into(),
        headers,
        body: String::new(),
    }
}

#[tokio::test]
async fn a_bound_token_needs_its_own_key_and_the_dpop_scheme() {
    let services = e2e_tests::start().await;
    let mut op = as_client(services.as_addr).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let auth = basic("client", "SUPERhemligtlösenord");
    // An openid token, DPoP-bound.
    let response = authorize(
        &mut op,
        &format!(
            "response_type=code&client_id=client&redirect_uri={CB}&scope=openid&state=s&nonce=n"
        ),
    )
    .await;
    let code = redirect_params(&response)["code"].clone();
    let proof = dpop::proof(&key, "POST", &Url::parse(TOKEN).unwrap(), now(), None, None).unwrap();
    let tokens = op
        .token(form_post(
            TOKEN,
            &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
            &[("Authorization", &auth), ("DPoP", &proof)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(body(&tokens)["token_type"], "DPoP");
    let access = body(&tokens)["access_token"].as_str().unwrap().to_owned();
    let userinfo_url = Url::parse("https://example.com/userinfo").unwrap();

    let good = dpop::proof(&key, "GET", &userinfo_url, now(), Some(&access), None).unwrap();
    let ok = op
        .userinfo(userinfo("DPoP", &access, Some(&good)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.status, 200, "{}", ok.body);

    let as_bearer = op
        .userinfo(userinfo("Bearer", &access, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(as_bearer.status, 401);
    assert!(as_bearer.headers["www-authenticate"].contains("invalid_token"));

    let other_key = SigningKey::generate(Algorithm::ES256).unwrap();
    let thief = dpop::proof(&other_key, "GET", &userinfo_url, now(), Some(&access), None).unwrap();
    let stolen = op
        .userinfo(userinfo("DPoP", &access, Some(&thief)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stolen.status, 401);
    assert!(stolen.headers["www-authenticate"].starts_with("DPoP error=\"invalid_dpop_proof\""));

    let no_ath = dpop::proof(&key, "GET", &userinfo_url, now(), None, None).unwrap();
    let unbound = op
        .userinfo(userinfo("DPoP", &access, Some(&no_ath)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unbound.status, 401, "a proof must name the token (ath)");

    let no_proof = op
        .userinfo(userinfo("DPoP", &access, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(no_proof.status, 401);

    // Introspection tells the resource server about the binding (RFC 9449 §6.2).
    let intro = op
        .introspection(form_post(
            "https://example.com/introspection",
            &format!("token={access}"),
            &[("Authorization", &auth)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(body(&intro)["token_type"], "DPoP");
    assert_eq!(
        body(&intro)["cnf"]["jkt"],
        oauth_core::jose::thumbprint(key.public_jwk()).unwrap()
    );
}

#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_to_its_dpop_key() {
    let client_key = KeySet::generate_ec();
    let services = start_with(&config_with_signer(&client_key, ""), None).await;
    let mut op = as_client(services.as_addr).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    // The spa client must use PKCE; add a challenge.
    let verifier = oauth_core::pkce::new_verifier();
    let challenge = oauth_core::pkce::challenge(&verifier, oauth_core::pkce::Method::S256);
    let response = authorize(&mut op, &format!("response_type=code&client_id=spa&redirect_uri={CB}&scope=foobar&state=s&code_challenge={challenge}&code_challenge_method=S256")).await;
    let code = redirect_params(&response)["code"].clone();
    let proof = dpop::proof(&key, "POST", &Url::parse(TOKEN).unwrap(), now(), None, None).unwrap();
    let tokens = op
        .token(form_post(TOKEN, &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}&client_id=spa&code_verifier={verifier}"), &[("DPoP", &proof)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let refresh = body(&tokens)["refresh_token"].as_str().unwrap().to_owned();
    let without = op
        .token(form_post(
            TOKEN,
            &format!("grant_type=refresh_token&refresh_token={refresh}&client_id=spa"),
            &[],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(error(&without), "invalid_grant");
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
    let with_other = op
        .token(form_post(
            TOKEN,
            &format!("grant_type=refresh_token&refresh_token={refresh}&client_id=spa"),
            &[("DPoP", &wrong)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(error(&with_other), "invalid_grant");
    let right = dpop::proof(&key, "POST", &Url::parse(TOKEN).unwrap(), now(), None, None).unwrap();
    let refreshed = op
        .token(form_post(
            TOKEN,
            &format!("grant_type=refresh_token&refresh_token={refresh}&client_id=spa"),
            &[("DPoP", &right)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(body(&refreshed)["token_type"], "DPoP");
}

#[tokio::test]
async fn with_server_nonces_the_rp_retries_once_and_the_story_passes() {
    let client_key = KeySet::generate_ec();
    let config = config_with_signer(&client_key, "")
        .replace("require_nonce = false", "require_nonce = true");
    let services = start_with(&config, None).await;
    let mut op = as_client(services.as_addr).await;
    let key = SigningKey::generate(Algorithm::ES256).unwrap();
    let first = dpop_tokens(
        &mut op,
        &key,
        "client",
        Some(&basic("client", "SUPERhemligtlösenord")),
    )
    .await;
    assert_eq!(
        (first.status, error(&first).as_str()),
        (400, "use_dpop_nonce")
    );
    assert!(first.headers.contains_key("dpop-nonce"));

    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    let story = orchestrator::catalog::find("oidc_add_on_dpop").unwrap();
    let record = orchestrator::runner::run_story(&clients, story).await;
    assert!(record.ok, "{:?}", record.error);
    let refusals: Vec<_> = record
        .steps
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| e.error.clone()))
        .collect();
    // The token endpoint asks once; the nonce it hands out also serves userinfo.
    assert_eq!(refusals, ["use_dpop_nonce"]);
    assert_eq!(
        record.steps.len(),
        story.steps.len() + 1,
        "one step sent twice"
    );
    // The call that parsed the refusal asked for the next step's request,
    // and the RP made none: the step sent again was prepared in a call of
    // its own.
    let refused = record.steps.iter().position(|s| s.sent_again).unwrap();
    let again = &record.steps[refused + 1];
    assert_eq!(
        again.prepared_by.as_deref(),
        Some(format!("PrepareRequest({})", again.service).as_str())
    );
    // In separate calls, the same story.
    let separate = orchestrator::runner::run_story_observed(
        &clients,
        story,
        orchestrator::runner::RpCalls::Separate,
        &mut |_| {},
    )
    .await;
    assert!(separate.ok, "{:?}", separate.error);
    assert_eq!(separate.steps.len(), record.steps.len());
    // The story cut after its token step: the step sent once more is the
    // last, and the call that parsed the refusal (asked to forget the
    // session) keeps it for the step sent again.
    let token_step = story
        .steps
        .iter()
        .position(|s| s.service.name() == "accesstoken")
        .unwrap();
    let cut = orchestrator::catalog::Story {
        steps: &story.steps[..=token_step],
        ..*story
    };
    let record = orchestrator::runner::run_story(&clients, &cut).await;
    assert!(record.ok, "{:?}", record.error);
    assert_eq!(record.steps.len(), cut.steps.len() + 1);
    let last = record.steps.last().unwrap();
    assert!(last.error.is_none(), "the step sent again got its token");
    assert_eq!(last.parsed_by, "Advance(parse accesstoken, end session)");
}
