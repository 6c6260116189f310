use oauth_core::scope::Scope;

use crate::config::Endpoint;
use crate::store::{DeviceGrant, DeviceState};
use crate::test_support::*;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn device_code(body: &serde_json::Value) -> String {
    body["device_code"].as_str().unwrap().to_owned()
}

/// RFC 8628 §3.5: before the user approves, authorization_pending.
#[tokio::test]
async fn a_poll_before_approval_is_pending() {
    let server = server();
    let body = device_authorize(&server, "foobar").await;
    let response = poll_device(&server, &device_code(&body)).await;
    assert_eq!(response.status, 400);
    assert_eq!(error(&response), "authorization_pending");
}

/// RFC 8628 §3.5: polling sooner than the interval is slow_down, and the
/// interval then grows by 5 seconds for this and every later poll.
#[tokio::test]
async fn polling_faster_than_the_interval_is_slow_down_and_the_interval_grows() {
    let (server, clock) = server_with(config());
    let interval = server.config.device.interval;
    let code = device_code(&device_authorize(&server, "foobar").await);
    assert_eq!(
        error(&poll_device(&server, &code).await),
        "authorization_pending"
    );
    assert_eq!(error(&poll_device(&server, &code).await), "slow_down");
    // The old interval is no longer enough...
    clock.advance(interval);
    assert_eq!(error(&poll_device(&server, &code).await), "slow_down");
    // ...(that poll grew it again): the interval grown by 5 twice is.
    clock.advance(interval + 10);
    assert_eq!(
        error(&poll_device(&server, &code).await),
        "authorization_pending"
    );
}

/// RFC 8628 §3.5: once approved, the poll is answered with tokens as the
/// code grant's (an ID token for openid, a refresh token for a client
/// allowed one); the device code is then spent (§3.4, single use).
#[tokio::test]
async fn an_approved_device_code_is_redeemed_once() {
    let server = server();
    let body = device_authorize(&server, "openid foobar").await;
    let code = device_code(&body);
    let page = enter_user_code(&server, body["user_code"].as_str().unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let response = poll_device(&server, &code).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let tokens = json(&response);
    assert!(tokens["access_token"].is_string());
    assert!(tokens["refresh_token"].is_string());
    assert!(tokens["id_token"].is_string());
    assert_eq!(tokens["scope"], "foobar openid");
    let claims =
        crate::tokens::validate_access_token(&server, tokens["access_token"].as_str().unwrap())
            .await
            .unwrap();
    assert_eq!(claims.sub, server.config.login_user);
    let again = poll_device(&server, &code).await;
    assert_eq!(again.status, 400);
    assert_eq!(error(&again), "invalid_grant");
}

/// RFC 8628 §3.5: after its lifetime, expired_token.
#[tokio::test]
async fn an_expired_device_code_is_expired_token() {
    let (server, clock) = server_with(config());
    let code = device_code(&device_authorize(&server, "foobar").await);
    clock.advance(server.config.device.lifetime);
    assert_eq!(error(&poll_device(&server, &code).await), "expired_token");
}

/// RFC 8628 §3.4 (RFC 6749 §5.2): a device code never issued is invalid_grant.
#[tokio::test]
async fn an_unknown_device_code_is_invalid_grant() {
    let server = server();
    assert_eq!(
        error(&poll_device(&server, "not-issued").await),
        "invalid_grant"
    );
}

/// RFC 8628 §3.4: device_code is required.
#[tokio::test]
async fn a_poll_without_device_code_is_invalid_request() {
    let server = server();
    let request = post_as(
        &url(&server, Endpoint::Token),
        CODE_CLIENT,
        &[("grant_type", DEVICE_GRANT)],
    );
    let response = crate::endpoint::token::handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_request");
}

/// RFC 6749 §5.2 (invalid_grant: issued to another client): another
/// client's poll neither redeems nor disturbs the device code.
#[tokio::test]
async fn another_client_cannot_redeem_the_device_code() {
    let mut config = config();
    add_client(
        &mut config,
        r#"
client_id = "tv"
client_secret = "a television"
token_endpoint_auth_methods = ["client_secret_post"]
grant_types = ["urn:ietf:params:oauth:grant-type:device_code"]
scopes = ["foobar"]
"#,
    );
    let (server, _clock) = server_with(config);
    let body = device_authorize(&server, "foobar").await;
    let code = device_code(&body);
    enter_user_code(&server, body["user_code"].as_str().unwrap()).await;
    let request = post_as(
        &url(&server, Endpoint::Token),
        ("tv", "a television"),
        &[("grant_type", DEVICE_GRANT), ("device_code", &code)],
    );
    let response = crate::endpoint::token::handle(&server, &request).await;
    assert_eq!(error(&response), "invalid_grant");
    assert_eq!(poll_device(&server, &code).await.status, 200);
}

/// RFC 8628 §3.5: a denied request is access_denied, poll after poll.
#[tokio::test]
async fn a_denied_device_code_is_access_denied() {
    let server = server();
    let scope = Scope::parse("foobar").unwrap();
    let dev = oauth_core::random::token(crate::tokens::OPAQUE_BYTES);
    server
        .store
        .put_device(
            oauth_core::secret::fingerprint(&dev),
            "user".into(),
            DeviceGrant {
                client_id: CODE_CLIENT.0.into(),
                scope,
                target: Default::default(),
                expires_at: NOW + 60,
                interval: 1,
                state: DeviceState::Pending,
            },
            NOW,
        )
        .await
        .unwrap();
    server
        .store
        .decide_device("user", DeviceState::Denied, NOW)
        .await
        .unwrap();
    assert_eq!(error(&poll_device(&server, &dev).await), "access_denied");
    assert_eq!(error(&poll_device(&server, &dev).await), "access_denied");
}

const APPL: &str = "https://example.org/appl";
const BACKEND: &str = "https://backend.example.org/";

/// A device authorization for `client` with `extra` parameters, approved
/// at the verification URI: its device code.
async fn approved_device_code(server: &crate::AuthServer, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![("scope", "foobar")];
    pairs.extend_from_slice(extra);
    let request = post_as(
        &url(server, Endpoint::DeviceAuthorization),
        CODE_CLIENT,
        &pairs,
    );
    let response = crate::endpoint::device_authorization::handle(server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body = json(&response);
    let page = enter_user_code(server, body["user_code"].as_str().unwrap()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    device_code(&body)
}

/// `client`'s token request of `pairs`.
async fn token_request(
    server: &crate::AuthServer,
    pairs: &[(&str, &str)],
) -> oauth_core::http::HttpResponse {
    let request = post_as(&url(server, Endpoint::Token), CODE_CLIENT, pairs);
    crate::endpoint::token::handle(server, &request).await
}

fn access_claims(response: &oauth_core::http::HttpResponse) -> serde_json::Value {
    let token = json(response)["access_token"].as_str().unwrap().to_owned();
    oauth_core::jose::decode_unverified(&token).unwrap().claims
}

/// RFC 8707 §2.2: the device grant holds the resource its authorization
/// request named; a poll naming another resource (one the client may
/// otherwise use) is invalid_target.
#[tokio::test]
async fn a_device_grant_for_one_resource_refuses_a_token_for_another() {
    let server = server();
    let code = approved_device_code(&server, &[("resource", APPL)]).await;
    let response = token_request(
        &server,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", &code),
            ("resource", BACKEND),
        ],
    )
    .await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(error(&response), "invalid_target");
}

/// RFC 8707 §2.2: a poll naming the granted resource gets a token for it
/// alone, not the client's default audience.
#[tokio::test]
async fn a_device_grant_for_a_resource_gives_a_token_for_that_resource() {
    let server = server();
    let code = approved_device_code(&server, &[("resource", BACKEND)]).await;
    let response = token_request(
        &server,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", &code),
            ("resource", BACKEND),
        ],
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(access_claims(&response)["aud"], BACKEND);
}

/// RFC 8707 §2.2: a poll naming no resource gets a token for every
/// resource granted; its refresh stays within them.
#[tokio::test]
async fn a_device_grant_keeps_its_resources_through_refresh() {
    let server = server();
    let code = approved_device_code(&server, &[("resource", BACKEND)]).await;
    let response = poll_device(&server, &code).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(access_claims(&response)["aud"], BACKEND);
    let refresh = json(&response)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wider = token_request(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("resource", APPL),
        ],
    )
    .await;
    assert_eq!(error(&wider), "invalid_target");
}

/// RFC 9396 §6, §7: the authorization details the device authorization
/// request named come back with the token and inside it; a poll asking
/// for others is invalid_authorization_details.
#[tokio::test]
async fn device_authorization_details_are_carried_into_the_token() {
    let server = server();
    let details = serde_json::json!([{
        "type": "customer_information",
        "actions": ["read"],
        "locations": ["https://example.com/customers"]
    }]);
    let text = details.to_string();
    let code = approved_device_code(&server, &[("authorization_details", &text)]).await;
    let response = poll_device(&server, &code).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(json(&response)["authorization_details"], details);
    assert_eq!(access_claims(&response)["authorization_details"], details);

    let code = approved_device_code(&server, &[("authorization_details", &text)]).await;
    let other = serde_json::json!([{"type": "customer_information", "actions": ["delete"]}]);
    let response = token_request(
        &server,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", &code),
            ("authorization_details", &other.to_string()),
        ],
    )
    .await;
    assert_eq!(error(&response), "invalid_authorization_details");
}
