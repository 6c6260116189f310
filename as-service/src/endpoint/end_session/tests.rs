//! OIDC RP-Initiated Logout 1.0 §2, §3 and Back-Channel Logout 1.0 §2.4–§2.7
//! at the end_session endpoint.
use oauth_core::form;
use serde_json::Value;

use super::{BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYP};
use crate::AuthServer;
use crate::config::Endpoint;
use crate::test_support::*;

const LOGGED_OUT: &str = "https://example.com/logged-out";

/// A login of `client` (scope openid): its token response.
async fn login(server: &AuthServer) -> Value {
    code_flow(server, "openid foobar").await
}

fn claims(jwt: &str) -> (Value, Value) {
    let decoded = oauth_core::jose::decode_unverified(jwt).unwrap();
    (decoded.header, decoded.claims)
}

async fn end(server: &AuthServer, pairs: &[(&str, &str)]) -> super::Ended {
    super::handle(
        server,
        &get_query(&url(server, Endpoint::EndSession), pairs),
    )
    .await
}

async fn grant_revoked(server: &AuthServer, access_token: &str) -> bool {
    let sid = claims(access_token).1["sid"].as_str().unwrap().to_owned();
    server.store.grant(&sid).await.unwrap().unwrap().revoked
}

/// §2, §3: a hint, a registered post-logout URI and state: the user agent
/// goes back with the state, and the login's grant is revoked.
#[tokio::test]
async fn a_logout_with_a_hint_redirects_with_state_and_revokes_the_grant() {
    let server = server();
    let tokens = login(&server).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(claims(id_token).1["sid"].is_string(), "ID tokens carry sid");
    let ended = end(
        &server,
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", LOGGED_OUT),
            ("state", "st8"),
        ],
    )
    .await;
    assert_eq!(ended.response.status, 302, "{}", ended.response.body);
    assert_eq!(
        ended.response.location.as_deref(),
        Some("https://example.com/logged-out?state=st8")
    );
    assert!(grant_revoked(&server, access_token).await);
}

/// Back-Channel Logout §2.4, §2.5: the client registered a back-channel
/// URI, so a logout token is POSTed there: typed, with sub, sid and the
/// event, and no nonce.
#[tokio::test]
async fn the_ended_login_makes_one_logout_token_for_its_client() {
    let server = server();
    let tokens = login(&server).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let ended = end(&server, &[("id_token_hint", id_token)]).await;
    assert_eq!(ended.response.status, 200);
    assert!(ended.response.body.contains("signed out"));
    let [request] = ended.outbound.as_slice() else {
        panic!("one notification: {:?}", ended.outbound);
    };
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.url.as_str(),
        "https://example.com/backchannel-logout"
    );
    assert_eq!(
        request.media_type().as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let body = form::parse(&request.body).unwrap();
    let (header, logout) = claims(body.get("logout_token").unwrap());
    let id = claims(id_token).1;
    assert_eq!(header["typ"], LOGOUT_TOKEN_TYP);
    assert_eq!(logout["iss"], id["iss"]);
    assert_eq!(logout["aud"], "client");
    assert_eq!(logout["sub"], id["sub"]);
    assert_eq!(logout["sid"], id["sid"]);
    assert!(logout["events"][BACKCHANNEL_LOGOUT_EVENT].is_object());
    assert!(logout["jti"].is_string() && logout["iat"].is_i64());
    assert!(logout.get("nonce").is_none());
    // The signature is the server's own.
    oauth_core::jose::verify(
        body.get("logout_token").unwrap(),
        &server.keys().verification,
        &[oauth_core::jose::JwsAlgorithm::RS256],
    )
    .unwrap();
    // Ending it again finds nothing left to end.
    let again = end(&server, &[("id_token_hint", id_token)]).await;
    assert!(again.outbound.is_empty());
}

/// §2: the hint's expiry does not matter; a logout comes when it comes.
#[tokio::test]
async fn an_expired_hint_still_names_the_session() {
    let (server, clock) = server_with(config());
    let tokens = login(&server).await;
    clock.advance(server.config.id_token_lifetime + 60);
    let ended = end(
        &server,
        &[("id_token_hint", tokens["id_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(ended.response.status, 200);
    assert_eq!(ended.outbound.len(), 1);
}

/// §3: a URI the client did not register is not redirected to, and the
/// request is refused whole: nothing ends.
#[tokio::test]
async fn an_unregistered_post_logout_uri_is_refused_and_nothing_ends() {
    let server = server();
    let tokens = login(&server).await;
    let ended = end(
        &server,
        &[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "https://attacker.example/"),
        ],
    )
    .await;
    assert_eq!(ended.response.status, 400);
    assert!(ended.response.location.is_none());
    assert!(ended.outbound.is_empty());
    assert!(!grant_revoked(&server, tokens["access_token"].as_str().unwrap()).await);
}

/// §3: without a hint or client_id nothing says whose URI it is; without
/// a hint the OP MUST NOT redirect at all.
#[tokio::test]
async fn a_post_logout_uri_with_no_client_named_is_refused() {
    let server = server();
    let ended = end(&server, &[("post_logout_redirect_uri", LOGGED_OUT)]).await;
    assert_eq!(ended.response.status, 400);
    assert_eq!(error(&ended.response.clone()), "invalid_request");
    // With client_id alone the URI is the client's, but nothing shows the
    // request came from it (anyone may register a client naming any URI):
    // §3, no redirection without an ID token hint, a page instead.
    let ended = end(
        &server,
        &[
            ("client_id", "client"),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_eq!(ended.response.status, 200, "{}", ended.response.body);
    assert!(ended.response.location.is_none());
}

/// §2: client_id must be the client the hint was issued to.
#[tokio::test]
async fn a_client_id_other_than_the_hints_is_refused() {
    let server = server();
    let tokens = login(&server).await;
    let ended = end(
        &server,
        &[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("client_id", CLIENT_2.0),
        ],
    )
    .await;
    assert_eq!(ended.response.status, 400);
    assert!(ended.outbound.is_empty());
}

/// §2: the hint is an ID token of this server; an access token signed
/// with the same keys is not one, nor is a token of another signer.
#[tokio::test]
async fn a_hint_that_is_no_id_token_of_this_server_is_refused() {
    let server = server();
    let tokens = login(&server).await;
    for hint in [
        tokens["access_token"].as_str().unwrap(),
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJkaWFuYSJ9.",
    ] {
        let ended = end(&server, &[("id_token_hint", hint)]).await;
        assert_eq!(ended.response.status, 400, "{hint}");
        assert!(ended.outbound.is_empty());
    }
    assert!(!grant_revoked(&server, tokens["access_token"].as_str().unwrap()).await);
}

/// A code issued in the login before it ended cannot bring a grant into it.
#[tokio::test]
async fn a_code_of_an_ended_login_is_refused() {
    let server = server();
    // A hybrid response: an ID token (its sid) and a code of one login.
    let request = get_query(
        &url(&server, Endpoint::Authorization),
        &[
            ("response_type", "code id_token"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("nonce", "n-0S6"),
            ("state", "xyz"),
        ],
    );
    let response = crate::endpoint::authorization::handle(&server, &request).await;
    let id_token = redirect_param(&response, "id_token").unwrap();
    let code = redirect_param(&response, "code").unwrap();
    end(&server, &[("id_token_hint", &id_token)]).await;
    let response = crate::endpoint::token::handle(&server, &redeem(&server, &code)).await;
    assert_eq!(response.status, 400, "{}", response.body);
    assert_eq!(error(&response), "invalid_grant");
}

/// §2: GET and POST only.
#[tokio::test]
async fn other_methods_are_refused() {
    let server = server();
    let request = oauth_core::http::HttpRequest::new(
        "PUT",
        url(&server, Endpoint::EndSession).as_str(),
        [],
        "",
    )
    .unwrap();
    let ended = super::handle(&server, &request).await;
    assert_eq!(ended.response.status, 405);
    let posted = super::handle(
        &server,
        &post(
            &url(&server, Endpoint::EndSession),
            &[("client_id", "client")],
        ),
    )
    .await;
    assert_eq!(posted.response.status, 200);
}

/// Back-Channel Logout §2.7: a grant whose refresh tokens were rotated
/// lives past the first token's lifetime; its login still knows it, so a
/// logout long after still revokes it.
#[tokio::test]
async fn a_logout_after_refreshes_past_the_first_lifetime_still_revokes_the_grant() {
    let (server, clock) = server_with(config());
    let tokens = login(&server).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let mut refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let lifetime = server.config.refresh_token_lifetime;
    // Refresh twice, each time most of a lifetime later.
    let mut access = String::new();
    for _ in 0..2 {
        clock.advance(lifetime * 3 / 4);
        let request = post_as(
            &url(&server, Endpoint::Token),
            CODE_CLIENT,
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        );
        let answer = json(&crate::endpoint::token::handle(&server, &request).await);
        refresh = answer["refresh_token"].as_str().unwrap().to_owned();
        access = answer["access_token"].as_str().unwrap().to_owned();
    }
    server.store.purge_expired(server.clock.now()).await;
    end(&server, &[("id_token_hint", &id_token)]).await;
    assert!(grant_revoked(&server, &access).await);
}

/// Where a self-registered client asks the user agent to go after logout:
/// its registrant's choice (with `&` to show the escaping).
const PHISH: &str = "https://phish.attacker.example/landing?from=op&to=you";

/// A client registered through the registration endpoint with a
/// post-logout URI and a back-channel URI, logged in once: its id and
/// token response.
async fn registered_login(server: &AuthServer) -> (String, Value) {
    let metadata = serde_json::json!({
        "redirect_uris": ["https://rp.example.org/cb"],
        "post_logout_redirect_uris": [PHISH],
        "backchannel_logout_uri": "https://rp.example.org/backchannel",
        "scope": "openid",
    });
    let registration = oauth_core::http::HttpRequest::new(
        "POST",
        &url(server, Endpoint::Registration),
        [("Content-Type", "application/json")],
        metadata.to_string(),
    )
    .unwrap();
    let registered = crate::endpoint::registration::handle(server, &registration).await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let body = json(&registered);
    let id = body["client_id"].as_str().unwrap().to_owned();
    let secret = body["client_secret"].as_str().unwrap().to_owned();
    let request = get_query(
        &url(server, Endpoint::Authorization),
        &[
            ("response_type", "code"),
            ("client_id", &id),
            ("redirect_uri", "https://rp.example.org/cb"),
            ("scope", "openid"),
            ("nonce", "n"),
        ],
    );
    let answer = crate::endpoint::authorization::handle(server, &request).await;
    let code = redirect_param(&answer, "code").expect("a code");
    let request = post_with(
        &url(server, Endpoint::Token),
        &[("Authorization", &basic((&id, &secret)))],
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://rp.example.org/cb"),
        ],
    );
    let tokens = crate::endpoint::token::handle(server, &request).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    (id, json(&tokens))
}

/// RFC 9700 §4.11.2, RP-Initiated Logout §3: for a self-registered client
/// even a valid hint and a registered URI get no redirect, but a page
/// naming the host and offering the address as a plain, escaped link; the
/// login still ends and its back-channel notification is still made.
#[tokio::test]
async fn a_registered_clients_post_logout_uri_is_a_link_on_a_page_not_a_redirect() {
    let server = server();
    let (id, tokens) = registered_login(&server).await;
    let ended = end(
        &server,
        &[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", PHISH),
            ("state", "<script>x</script>"),
        ],
    )
    .await;
    let page = &ended.response;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.location.is_none());
    assert!(header(page, "location").is_none());
    assert_eq!(
        header(page, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        page.body
            .contains("<strong>phish.attacker.example</strong>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "<a href=\"https://phish.attacker.example/landing?from=op&amp;to=you&amp;state=%3Cscript%3Ex%3C%2Fscript%3E\""
        ),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script"), "{}", page.body);
    assert!(!page.body.contains("from=op&to"), "{}", page.body);
    assert!(grant_revoked(&server, tokens["access_token"].as_str().unwrap()).await);
    let [notification] = ended.outbound.as_slice() else {
        panic!("one notification: {:?}", ended.outbound);
    };
    assert_eq!(
        notification.url.as_str(),
        "https://rp.example.org/backchannel"
    );
    let body = form::parse(&notification.body).unwrap();
    assert_eq!(
        claims(body.get("logout_token").unwrap()).1["aud"],
        id.as_str()
    );
}

/// RP-Initiated Logout §3: a configured client (its URIs the operator's)
/// keeps the redirect, and its back-channel notification is made too.
#[tokio::test]
async fn a_configured_clients_post_logout_uri_is_still_a_redirect_with_its_notification() {
    let server = server();
    let tokens = login(&server).await;
    let ended = end(
        &server,
        &[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", LOGGED_OUT),
        ],
    )
    .await;
    assert_eq!(ended.response.status, 302, "{}", ended.response.body);
    assert_eq!(ended.response.location.as_deref(), Some(LOGGED_OUT));
    assert_eq!(ended.outbound.len(), 1);
}
