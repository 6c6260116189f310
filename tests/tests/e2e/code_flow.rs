//! The authorization code family against real servers: codes, PKCE,
//! refresh rotation, introspection, revocation and token exchange, with
//! each refusal the RFCs call for.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use e2e_tests::{
    as_client, authorization_request, basic, body, client_basic, form_post, redirect_params,
    rp_client, start, start_with_as_config, start_with_clock,
};
use oauth_core::clock::ManualClock;
use oauth_core::pkce;
use oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient;
use oidc_story_proto::v1::{
    OAuthResponse, ParseResponseRequest, PrepareRequestRequest, StartSessionRequest,
};
use tonic::transport::Channel;

type As = AuthorizationServerClient<Channel>;

const CB: &str = "https%3A%2F%2Fexample.com%2Fcb";
const TOKEN: &str = "https://example.com/token";
const INTROSPECTION: &str = "https://example.com/introspection";
const REVOCATION: &str = "https://example.com/revocation";
const TOKEN_TYPE_AT: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Asks for a code (scope foobar), with extra query parameters; returns the code.
async fn code(client: &mut As, extra: &str) -> String {
    let response = client
        .authorization(authorization_request(&format!(
            "response_type=code&client_id=client&redirect_uri={CB}&scope=foobar&state=xyz{extra}"
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.status, 302, "{}", response.body);
    let params = redirect_params(&response);
    assert_eq!(params["state"], "xyz");
    assert_eq!(params["iss"], "https://example.com/");
    params
        .get("code")
        .cloned()
        .unwrap_or_else(|| panic!("no code: {params:?}"))
}

async fn post(client: &mut As, url: &str, body_text: &str) -> OAuthResponse {
    let auth = client_basic();
    let request = form_post(url, body_text, &[("Authorization", &auth)]);
    match url {
        TOKEN => client.token(request).await,
        INTROSPECTION => client.introspection(request).await,
        REVOCATION => client.revocation(request).await,
        other => panic!("no endpoint {other}"),
    }
    .unwrap()
    .into_inner()
}

async fn redeem(client: &mut As, code: &str, extra: &str) -> OAuthResponse {
    post(
        client,
        TOKEN,
        &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}{extra}"),
    )
    .await
}

fn error(response: &OAuthResponse) -> String {
    body(response)["error"].as_str().unwrap_or("").to_owned()
}

async fn active(client: &mut As, token: &str) -> bool {
    let response = post(client, INTROSPECTION, &format!("token={token}")).await;
    assert_eq!(response.status, 200, "{}", response.body);
    body(&response)["active"].as_bool().unwrap()
}

/// Tokens from a fresh code: (access_token, refresh_token).
async fn tokens(client: &mut As) -> (String, String) {
    let c = code(client, "").await;
    let response = redeem(client, &c, "").await;
    assert_eq!(response.status, 200, "{}", response.body);
    let b = body(&response);
    (
        b["access_token"].as_str().unwrap().to_owned(),
        b["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_the_tokens_of_its_first_use() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let c = code(&mut client, "").await;
    let first = redeem(&mut client, &c, "").await;
    assert_eq!(first.status, 200);
    let access = body(&first)["access_token"].as_str().unwrap().to_owned();
    let refresh = body(&first)["refresh_token"].as_str().unwrap().to_owned();
    assert!(active(&mut client, &access).await);

    let second = redeem(&mut client, &c, "").await;
    assert_eq!(
        (second.status, error(&second).as_str()),
        (400, "invalid_grant")
    );
    // RFC 6749 §4.1.2: what the first use minted is revoked.
    assert!(!active(&mut client, &access).await);
    assert!(!active(&mut client, &refresh).await);
    let refreshed = post(
        &mut client,
        TOKEN,
        &format!("grant_type=refresh_token&refresh_token={refresh}"),
    )
    .await;
    assert_eq!(error(&refreshed), "invalid_grant");
}

#[tokio::test]
async fn a_different_redirect_uri_at_the_token_endpoint_is_invalid_grant() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let c = code(&mut client, "").await;
    let response = post(
        &mut client,
        TOKEN,
        &format!("grant_type=authorization_code&code={c}&redirect_uri=https%3A%2F%2Fattacker.example%2Fcb"),
    )
    .await;
    assert_eq!(
        (response.status, error(&response).as_str()),
        (400, "invalid_grant")
    );
    // Omitting it, when the authorization request named it, is refused too.
    let c = code(&mut client, "").await;
    let response = post(
        &mut client,
        TOKEN,
        &format!("grant_type=authorization_code&code={c}"),
    )
    .await;
    assert_eq!(error(&response), "invalid_grant");
}

#[tokio::test]
async fn pkce_verifier_mismatch_missing_and_downgrade_are_invalid_grant() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let verifier = pkce::new_verifier();
    let challenge = pkce::challenge(&verifier, pkce::Method::S256);
    let with_challenge = format!("&code_challenge={challenge}&code_challenge_method=S256");

    let c = code(&mut client, &with_challenge).await;
    let wrong = redeem(
        &mut client,
        &c,
        &format!("&code_verifier={}", pkce::new_verifier()),
    )
    .await;
    assert_eq!(
        (wrong.status, error(&wrong).as_str()),
        (400, "invalid_grant"),
        "mismatch"
    );

    let c = code(&mut client, &with_challenge).await;
    let missing = redeem(&mut client, &c, "").await;
    assert_eq!(error(&missing), "invalid_grant", "missing verifier");

    // RFC 9700 §2.1.1: no challenge sent, a verifier presented.
    let c = code(&mut client, "").await;
    let downgrade = redeem(&mut client, &c, &format!("&code_verifier={verifier}")).await;
    assert_eq!(error(&downgrade), "invalid_grant", "downgrade");

    let c = code(&mut client, &with_challenge).await;
    let good = redeem(&mut client, &c, &format!("&code_verifier={verifier}")).await;
    assert_eq!(good.status, 200, "{}", good.body);
}

#[tokio::test]
async fn plain_pkce_is_refused_unless_configured() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let verifier = pkce::new_verifier();
    let response = client
        .authorization(authorization_request(&format!(
            "response_type=code&client_id=client&redirect_uri={CB}&state=s&code_challenge={verifier}&code_challenge_method=plain"
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.status, 302);
    let params = redirect_params(&response);
    assert_eq!(params["error"], "invalid_request");
    assert_eq!(params["state"], "s");
    assert!(!params.contains_key("code"));
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let clock = ManualClock::new(1_800_000_000);
    let services = start_with_clock(&clock).await;
    let mut client = as_client(services.as_addr).await;
    let c = code(&mut client, "").await;
    clock.advance(601);
    let response = redeem(&mut client, &c, "").await;
    assert_eq!(
        (response.status, error(&response).as_str()),
        (400, "invalid_grant")
    );
    // The server's purge task, on the same clock, may already have
    // forgotten the expired code: then it is unknown, refused the same way.
    let description = body(&response)["error_description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        description.contains("expired") || description.contains("unknown"),
        "{description}"
    );
}

#[tokio::test]
async fn access_tokens_expire_by_the_clock() {
    let clock = ManualClock::new(1_800_000_000);
    let services = start_with_clock(&clock).await;
    let mut client = as_client(services.as_addr).await;
    let (access, refresh) = tokens(&mut client).await;
    clock.advance(599);
    assert!(active(&mut client, &access).await);
    clock.advance(2);
    assert!(!active(&mut client, &access).await, "600 s lifetime");
    assert!(active(&mut client, &refresh).await, "43200 s lifetime");
    clock.advance(43_200);
    assert!(!active(&mut client, &refresh).await);
}

#[tokio::test]
async fn a_state_mismatch_is_refused_by_the_rp() {
    let services = start().await;
    let mut rp = rp_client(services.rp_addr).await;
    let mut client = as_client(services.as_addr).await;
    let session_id = rp
        .start_session(StartSessionRequest {
            profile: "client".into(),
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
    let request = rp
        .prepare_request(step("authorization"))
        .await
        .unwrap()
        .into_inner()
        .request
        .unwrap();
    let mut response = client.authorization(request).await.unwrap().into_inner();
    // An attacker's response: the same code, another state.
    let params = redirect_params(&response);
    let forged = response.location.replace(&params["state"], "forged-state");
    response.headers.insert("location".into(), forged.clone());
    response.location = forged;
    let parsed = rp
        .parse_response(ParseResponseRequest {
            session_id: session_id.clone(),
            service: "authorization".into(),
            response: Some(response),
            inbound: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!parsed.ok);
    let check = parsed
        .checks
        .iter()
        .find(|c| c.name == "state is the one sent")
        .unwrap();
    assert!(!check.ok);
    // The code of a response that failed the state check is not kept.
    let e = rp.prepare_request(step("accesstoken")).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::FailedPrecondition, "{}", e.message());
}

#[tokio::test]
async fn refresh_token_reuse_after_rotation_revokes_the_family() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let (_, first) = tokens(&mut client).await;
    let rotated = post(
        &mut client,
        TOKEN,
        &format!("grant_type=refresh_token&refresh_token={first}"),
    )
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let second = body(&rotated)["refresh_token"].as_str().unwrap().to_owned();
    let access = body(&rotated)["access_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(active(&mut client, &access).await);

    let reuse = post(
        &mut client,
        TOKEN,
        &format!("grant_type=refresh_token&refresh_token={first}"),
    )
    .await;
    assert_eq!(
        (reuse.status, error(&reuse).as_str()),
        (400, "invalid_grant")
    );
    // The whole family is gone: the newest refresh token and its access token.
    let newest = post(
        &mut client,
        TOKEN,
        &format!("grant_type=refresh_token&refresh_token={second}"),
    )
    .await;
    assert_eq!(error(&newest), "invalid_grant");
    assert!(!active(&mut client, &access).await);
}

#[tokio::test]
async fn refresh_scope_may_narrow_but_never_widen() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let wide = client
        .authorization(authorization_request(&format!(
            "response_type=code&client_id=client&redirect_uri={CB}&scope=foobar+email&state=s"
        )))
        .await
        .unwrap()
        .into_inner();
    let c = redirect_params(&wide)["code"].clone();
    let response = redeem(&mut client, &c, "").await;
    let refresh = body(&response)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let narrowed = post(
        &mut client,
        TOKEN,
        &format!("grant_type=refresh_token&refresh_token={refresh}&scope=email"),
    )
    .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.body);
    assert_eq!(body(&narrowed)["scope"], "email");
    let refresh = body(&narrowed)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let widened = post(
        &mut client,
        TOKEN,
        &format!("grant_type=refresh_token&refresh_token={refresh}&scope=email+profile"),
    )
    .await;
    assert_eq!(
        (widened.status, error(&widened).as_str()),
        (400, "invalid_scope")
    );
}

#[tokio::test]
async fn introspection_without_client_authentication_is_invalid_client() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let (access, _) = tokens(&mut client).await;
    let response = client
        .introspection(form_post(INTROSPECTION, &format!("token={access}"), &[]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (response.status, error(&response).as_str()),
        (401, "invalid_client")
    );
    assert!(response.headers.contains_key("www-authenticate"));
    // Another client may not learn about this client's token.
    let other = basic("client_1", "another password");
    let response = client
        .introspection(form_post(
            INTROSPECTION,
            &format!("token={access}"),
            &[("Authorization", &other)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(body(&response), serde_json::json!({"active": false}));
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_tokens() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let (access, refresh) = tokens(&mut client).await;
    let revoked = post(
        &mut client,
        REVOCATION,
        &format!("token={refresh}&token_type_hint=refresh_token"),
    )
    .await;
    assert_eq!(revoked.status, 200);
    assert!(!active(&mut client, &refresh).await);
    assert!(!active(&mut client, &access).await, "RFC 7009 §2.1");
    // An unknown token is not an error (RFC 7009 §2.2).
    let unknown = post(&mut client, REVOCATION, "token=never-issued").await;
    assert_eq!(unknown.status, 200);
    // Another client may not revoke this client's token.
    let (access, _) = tokens(&mut client).await;
    let other = basic("client_1", "another password");
    let refused = client
        .revocation(form_post(
            REVOCATION,
            &format!("token={access}"),
            &[("Authorization", &other)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.status, 400);
    assert!(active(&mut client, &access).await);
}

#[tokio::test]
async fn exchanging_a_revoked_token_is_refused() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let (access, _) = tokens(&mut client).await;
    let exchange = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token={access}&subject_token_type={TOKEN_TYPE_AT}"
    );
    let ok = post(&mut client, TOKEN, &exchange).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(body(&ok)["issued_token_type"], TOKEN_TYPE_AT);
    assert!(body(&ok).get("refresh_token").is_none());

    assert_eq!(
        post(&mut client, REVOCATION, &format!("token={access}"))
            .await
            .status,
        200
    );
    let refused = post(&mut client, TOKEN, &exchange).await;
    // RFC 8693 §2.2.2: an invalid subject token is invalid_request.
    assert_eq!(
        (refused.status, error(&refused).as_str()),
        (400, "invalid_request")
    );
    assert!(
        body(&refused)["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
}

#[tokio::test]
async fn token_exchange_honours_audience_and_scope_limits() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let (access, _) = tokens(&mut client).await;
    let base = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token={access}&subject_token_type={TOKEN_TYPE_AT}"
    );
    let to_backend = post(
        &mut client,
        TOKEN,
        &format!("{base}&audience=https%3A%2F%2Fbackend.example.org%2F"),
    )
    .await;
    assert_eq!(to_backend.status, 200, "{}", to_backend.body);
    let claims =
        oauth_core::jose::decode_unverified(body(&to_backend)["access_token"].as_str().unwrap())
            .unwrap()
            .claims;
    assert_eq!(claims["aud"], "https://backend.example.org/");
    assert_eq!(claims["sub"], "diana");

    let elsewhere = post(
        &mut client,
        TOKEN,
        &format!("{base}&audience=https%3A%2F%2Fevil.example%2F"),
    )
    .await;
    assert_eq!(error(&elsewhere), "invalid_target");
    let wider = post(&mut client, TOKEN, &format!("{base}&scope=foobar+email")).await;
    assert_eq!(error(&wider), "invalid_scope");
    let not_a_token = post(
        &mut client,
        TOKEN,
        &format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=abc&subject_token_type={TOKEN_TYPE_AT}"),
    )
    .await;
    assert_eq!(error(&not_a_token), "invalid_request");
}

#[tokio::test]
async fn authorization_errors_about_client_or_redirect_uri_are_not_redirected() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    for query in [
        format!("response_type=code&client_id=nobody&redirect_uri={CB}&state=s"),
        "response_type=code&client_id=client&redirect_uri=https%3A%2F%2Fattacker.example%2Fcb&state=s".to_owned(),
        format!("response_type=code&redirect_uri={CB}&state=s"),
        format!("response_type=code&client_id=client&client_id=client&redirect_uri={CB}"),
        // client_1 has no redirect URI.
        format!("response_type=code&client_id=client_1&redirect_uri={CB}&state=s"),
    ] {
        let response = client.authorization(authorization_request(&query)).await.unwrap().into_inner();
        assert_eq!(response.status, 400, "{query}");
        assert!(response.location.is_empty(), "{query} must not redirect");
        assert!(!response.headers.contains_key("location"));
    }
}

#[tokio::test]
async fn other_authorization_errors_go_back_by_redirect() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    for (query, expected) in [
        (
            format!("response_type=code&client_id=client&redirect_uri={CB}&scope=admin&state=s"),
            "invalid_scope",
        ),
        (
            format!("response_type=token&client_id=client&redirect_uri={CB}&state=s"),
            "unsupported_response_type",
        ),
        (
            format!("client_id=client&redirect_uri={CB}&state=s"),
            "invalid_request",
        ),
    ] {
        let response = client
            .authorization(authorization_request(&query))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.status, 302, "{query}");
        assert!(response.location.starts_with("https://example.com/cb"));
        let params = redirect_params(&response);
        assert_eq!(params["error"], expected, "{query}");
        assert_eq!(params["state"], "s");
        assert_eq!(params["iss"], "https://example.com/");
    }
}

#[tokio::test]
async fn a_public_client_must_use_pkce() {
    // The client goes before the [users.*] tables of the default file.
    let (head, users) = as_service::config::DEFAULT_CONFIG
        .split_once("# The demo users: passwords and claims.")
        .unwrap();
    let config = format!(
        "{head}\n[[clients]]\nclient_id = \"spa\"\ntoken_endpoint_auth_methods = [\"none\"]\ngrant_types = [\"authorization_code\"]\nresponse_types = [\"code\"]\nredirect_uris = [\"https://example.com/cb\"]\nscopes = [\"foobar\"]\n{users}"
    );
    let services = start_with_as_config(&config).await;
    let mut client = as_client(services.as_addr).await;
    let without = client
        .authorization(authorization_request(&format!(
            "response_type=code&client_id=spa&redirect_uri={CB}&state=s"
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(redirect_params(&without)["error"], "invalid_request");

    let verifier = pkce::new_verifier();
    let challenge = pkce::challenge(&verifier, pkce::Method::S256);
    let with = client
        .authorization(authorization_request(&format!(
            "response_type=code&client_id=spa&redirect_uri={CB}&state=s&code_challenge={challenge}&code_challenge_method=S256"
        )))
        .await
        .unwrap()
        .into_inner();
    let c = redirect_params(&with)["code"].clone();
    let response = client
        .token(form_post(
            TOKEN,
            &format!("grant_type=authorization_code&code={c}&redirect_uri={CB}&client_id=spa&code_verifier={verifier}"),
            &[],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        body(&response).get("refresh_token").is_none(),
        "no refresh_token grant for this client"
    );
}

#[tokio::test]
async fn a_code_issued_to_another_client_is_invalid_grant() {
    let services = start().await;
    let mut client = as_client(services.as_addr).await;
    let c = code(&mut client, "").await;
    let other = basic("client_1", "another password");
    // client_1 may not even use the grant; give it the code all the same.
    let response = client
        .token(form_post(
            TOKEN,
            &format!("grant_type=authorization_code&code={c}&redirect_uri={CB}"),
            &[("Authorization", &other)],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(error(&response), "unauthorized_client");
}
