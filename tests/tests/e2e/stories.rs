//! Every story, green, in embedded mode and against services started
//! separately (external mode), and the access token checked here too:
//! an ES256 JWT whose signature verifies against the JWKS that `Jwks` serves.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{Services, as_client, start};
use oidc_story_proto::v1::OAuthRequest;
use orchestrator::catalog;
use orchestrator::runner::run_story;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[tokio::test]
async fn every_story_is_green_embedded() {
    let services = start().await;
    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    for story in catalog::all() {
        let record = run_story(&clients, story).await;
        assert!(
            record.ok,
            "{}: {:?}\n{}",
            story.name,
            record.error,
            orchestrator::render::json::story(&record)
        );
        assert_eq!(record.steps.len(), story.steps.len());
    }
}

#[tokio::test]
async fn a_step_costs_one_rp_call_and_separate_calls_tell_the_same_story() {
    let services = start().await;
    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    let story = catalog::find("oauth2_code").unwrap();
    let before = clients.calls_made();
    let advanced = run_story(&clients, story).await;
    // Three AS calls; the RP: open with the first request, then one call
    // per answer (the last also forgets the session).
    assert_eq!(clients.calls_made() - before, 3 + 4);
    let before = clients.calls_made();
    let separate = orchestrator::runner::run_story_observed(
        &clients,
        story,
        orchestrator::runner::RpCalls::Separate,
        &mut |_| {},
    )
    .await;
    // StartSession, PrepareRequest and ParseResponse per step, EndSession.
    assert_eq!(clients.calls_made() - before, 3 + 2 + 3 * 2);
    assert!(advanced.ok && separate.ok);
    let outline = |r: &orchestrator::runner::StoryRecord| {
        r.steps
            .iter()
            .map(|s| (s.service.clone(), s.endpoint.clone(), s.ok, s.checks.len()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outline(&advanced), outline(&separate));
    assert_eq!(
        advanced.steps[0].prepared_by.as_deref(),
        Some("Advance(open session, prepare server_metadata)")
    );
    assert_eq!(advanced.steps[1].prepared_by, None);
    assert_eq!(
        advanced.steps[2].parsed_by,
        "Advance(parse accesstoken, end session)"
    );
    assert_eq!(separate.steps[2].parsed_by, "ParseResponse(accesstoken)");
}

#[tokio::test]
async fn every_story_is_green_against_separately_started_services() {
    // The AS and RP each on their own listener, as two processes would be.
    let as_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rp_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let as_addr = as_listener.local_addr().unwrap();
    let rp_addr = rp_listener.local_addr().unwrap();
    let dir = std::env::temp_dir().join(format!("stories-{}", oauth_core::random::token(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = as_service::keys::load_or_generate(&dir.join("keys.json")).unwrap();
    let server =
        as_service::AuthServer::new(as_service::config::Config::default_config().unwrap(), keys)
            .unwrap();
    let rp = rp_service::RelyingParty::new(rp_service::config::Config::default_config().unwrap());
    let (stop_as, as_stopped) = oneshot::channel::<()>();
    let (stop_rp, rp_stopped) = oneshot::channel::<()>();
    let as_task = tokio::spawn(as_service::run(as_listener, server, async {
        let _ = as_stopped.await;
    }));
    let rp_task = tokio::spawn(rp_service::run(rp_listener, rp, async {
        let _ = rp_stopped.await;
    }));
    let clients = Services::connect(&format!("http://{as_addr}"), &rp_addr.to_string())
        .await
        .unwrap();
    for story in catalog::all() {
        let record = run_story(&clients, story).await;
        assert!(record.ok, "{}: {:?}", story.name, record.error);
    }
    stop_as.send(()).unwrap();
    stop_rp.send(()).unwrap();
    as_task.await.unwrap().unwrap();
    rp_task.await.unwrap().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_cc_access_token_is_an_es256_jwt_verified_by_the_served_jwks() {
    let services = start().await;
    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    let record = run_story(&clients, catalog::find("oauth2_cc").unwrap()).await;
    assert!(record.ok);
    let token_step = record.steps.last().unwrap();
    let token = token_step.response.body["access_token"].as_str().unwrap();

    // Fetch the JWKS ourselves and verify independently of the RP.
    let mut client = as_client(services.as_addr).await;
    let jwks = client
        .jwks(OAuthRequest {
            method: "GET".into(),
            url: "https://example.com/jwks.json".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&jwks.body).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let jwk = set.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&["https://example.org/appl"]);
    validation.set_issuer(&["https://example.com/"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(data.claims["client_id"], "client_1");
    assert_eq!(data.claims["sub"], "client_1");
    assert_eq!(data.claims["scope"], "resourceA");
    let lifetime = data.claims["exp"].as_i64().unwrap() - data.claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 3600);
    // The RP verified it as well, and said so.
    assert!(token_step.jwts[0].verified);
    assert!(
        token_step
            .checks
            .iter()
            .any(|c| c.id == "access_token.signature" && c.ok)
    );
}

#[tokio::test]
async fn a_token_from_an_as_with_other_keys_fails_the_rp_signature_check() {
    use oidc_story_proto::v1::{ParseResponseRequest, PrepareRequestRequest, StartSessionRequest};
    // The RP learns the keys of one AS, then is handed a token minted by another.
    let first = start().await;
    let second = start().await;
    let mut rp = e2e_tests::rp_client(first.rp_addr).await;
    let mut as_first = as_client(first.as_addr).await;
    let mut as_second = as_client(second.as_addr).await;
    let session_id = rp
        .start_session(StartSessionRequest {
            profile: "client_1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .session_id;
    let step = |service: &str| PrepareRequestRequest {
        session_id: session_id.clone(),
        service: service.into(),
        args: Default::default(),
    };
    let jwks_request = rp
        .prepare_request(step("jwks"))
        .await
        .unwrap()
        .into_inner()
        .request
        .unwrap();
    let jwks = as_first.jwks(jwks_request).await.unwrap().into_inner();
    let parsed = rp
        .parse_response(ParseResponseRequest {
            session_id: session_id.clone(),
            service: "jwks".into(),
            response: Some(jwks),
            inbound: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(parsed.ok);
    let token_request = rp
        .prepare_request(step("client_credentials"))
        .await
        .unwrap()
        .into_inner()
        .request
        .unwrap();
    let token = as_second.token(token_request).await.unwrap().into_inner();
    assert_eq!(token.status, 200);
    let parsed = rp
        .parse_response(ParseResponseRequest {
            session_id: session_id.clone(),
            service: "client_credentials".into(),
            response: Some(token),
            inbound: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!parsed.ok);
    let signature = parsed
        .checks
        .iter()
        .find(|c| c.id == "access_token.signature")
        .unwrap();
    assert!(!signature.ok, "{}", signature.detail);
    assert!(!parsed.jwts[0].verified);
}

#[tokio::test]
async fn an_attack_story_fails_when_the_attack_succeeds() {
    use orchestrator::catalog::{Attack, Step, Story};
    // "Replaying" a code that was never redeemed: the AS rightly answers,
    // so the attack step's expected refusal does not come.
    const NOT_A_REPLAY: Story = Story {
        name: "attack_not_a_replay",
        title: "an attack that does not happen",
        standard: "-",
        summary: "the expected refusal never comes",
        profile: "client",
        steps: &[
            Step {
                service: rp_service::service::registry::ClientService::ServerMetadata,
                args: &[],
                expect_error: None,
                expect_refusal: None,
                tamper: None,
                attack: Attack::None,
            },
            Step {
                service: rp_service::service::registry::ClientService::Authorization,
                args: &[],
                expect_error: None,
                expect_refusal: None,
                tamper: None,
                attack: Attack::None,
            },
            Step {
                service: rp_service::service::registry::ClientService::AccessToken,
                args: &[],
                expect_error: Some(oauth_core::error::ErrorCode::InvalidGrant),
                expect_refusal: None,
                tamper: None,
                attack: Attack::Must,
            },
        ],
    };
    let services = start().await;
    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    let record = run_story(&clients, &NOT_A_REPLAY).await;
    assert!(!record.ok);
    assert!(!record.steps.last().unwrap().ok);
    let text =
        orchestrator::render::text::story(None, &record, orchestrator::render::Style::default());
    assert!(
        text.contains("NOT refused: expected invalid_grant"),
        "{text}"
    );
}

/// RFC 8628 §3.5: the device waits the interval between polls — really:
/// the poll after the user's approval comes at least `interval` after the
/// one before, and the first goes at once.
#[tokio::test]
async fn the_device_story_waits_the_interval_between_polls() {
    let services = start().await;
    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    let interval = as_service::config::Config::default_config()
        .unwrap()
        .device
        .interval;
    let interval = std::time::Duration::from_secs(u64::try_from(interval).unwrap());
    let record = run_story(&clients, catalog::find("oauth2_device_code").unwrap()).await;
    assert!(record.ok, "{:?}", record.error);
    let polls: Vec<_> = record
        .steps
        .iter()
        .filter(|s| s.service == "device_token")
        .collect();
    assert_eq!(polls.len(), 2);
    assert_eq!(
        polls[0].error.as_ref().map(|e| e.error.as_str()),
        Some("authorization_pending")
    );
    assert!(polls[0].elapsed < interval, "the first poll goes at once");
    // The wait runs from the first poll's answer: the user's step and the
    // second poll together last at least the interval.
    let after_first: std::time::Duration = record
        .steps
        .iter()
        .skip_while(|s| s.service != "device_token")
        .skip(1)
        .map(|s| s.elapsed)
        .sum();
    assert!(after_first >= interval, "{after_first:?}");
    assert!(polls[1].response.body["access_token"].is_string());
    assert!(record.elapsed >= interval);
}
