//! The login session at the authorization endpoint: OIDC Core §3.1.2.1
//! (prompt, max_age, display, the locales, login_hint, id_token_hint,
//! acr_values), §3.1.2.3, §3.1.2.6, §2 (auth_time), §5.2, and RP-Initiated
//! Logout §2 ending the session.
use oauth_core::http::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::AuthServer;
use crate::config::Endpoint;
use crate::test_support::*;

use super::super::handle;

/// A code request of `client` (scope openid), with `extra` parameters and
/// the session cookie, if any.
fn request(server: &AuthServer, extra: &[(&str, &str)], cookie: Option<&str>) -> HttpRequest {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", CODE_CLIENT.0),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "st8"),
        ("nonce", "n-0S6_WzA2Mj"),
    ];
    pairs.extend_from_slice(extra);
    let target = format!(
        "{}?{}",
        url(server, Endpoint::Authorization),
        encode(&pairs)
    );
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
    HttpRequest::new("GET", &target, headers, "").unwrap()
}

async fn authorize_with(
    server: &AuthServer,
    extra: &[(&str, &str)],
    cookie: Option<&str>,
) -> HttpResponse {
    handle(server, &request(server, extra, cookie)).await
}

/// The `name=value` part of the answer's session cookie, if it sets one.
fn cookie(response: &HttpResponse) -> Option<String> {
    let set = header(response, "set-cookie")?;
    Some(set.split(';').next().unwrap().to_owned())
}

/// The claims of the ID token a code of `client` is redeemed for.
async fn id_token_claims(server: &AuthServer, response: &HttpResponse) -> Value {
    assert_eq!(
        redirect_param(response, "error"),
        None,
        "{:?}",
        response.location
    );
    let code = redirect_param(response, "code").expect("a code");
    let tokens = crate::endpoint::token::handle(server, &redeem(server, &code)).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let id_token = json(&tokens)["id_token"].as_str().unwrap().to_owned();
    oauth_core::jose::decode_unverified(&id_token)
        .unwrap()
        .claims
}

/// The session's first login: its cookie and ID token claims.
async fn first_login(server: &AuthServer) -> (String, Value) {
    let response = authorize_with(server, &[], None).await;
    let cookie = cookie(&response).expect("a login sets the session cookie");
    (cookie, id_token_claims(server, &response).await)
}

fn error_of(response: &HttpResponse) -> Option<String> {
    assert_eq!(response.status, 302, "{}", response.body);
    redirect_param(response, "error")
}

/// §3.1.2.3: the login sets a session cookie no script can read, sent on
/// top-level navigations only, for the whole host — `__Host-` and Secure
/// with an https issuer — for the session's lifetime.
#[tokio::test]
async fn a_login_sets_an_http_only_lax_secure_host_cookie() {
    let server = server();
    let response = authorize_with(&server, &[], None).await;
    let set = header(&response, "set-cookie").expect("a session cookie");
    let (pair, attributes) = set.split_once("; ").unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, "__Host-oidc-story-session");
    assert!(oauth_core::canonical::token(value, 32).is_some(), "{value}");
    let attributes: Vec<&str> = attributes.split("; ").collect();
    for wanted in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(attributes.contains(&wanted), "{set}");
    }
    let max_age = format!("Max-Age={}", server.config.session_lifetime);
    assert!(attributes.contains(&max_age.as_str()), "{set}");
    assert!(!set.contains("Domain"), "{set}");
}

/// With an http issuer (loopback only) the cookie cannot be Secure, nor so
/// named `__Host-`.
#[tokio::test]
async fn an_http_issuer_sets_a_plain_cookie() {
    let mut config = config();
    config.set_issuer("http://127.0.0.1:8080").unwrap();
    let (server, _) = server_with(config);
    let response = authorize_with(&server, &[], None).await;
    let set = header(&response, "set-cookie").unwrap();
    assert!(set.starts_with("oidc-story-session="), "{set}");
    assert!(!set.contains("Secure"), "{set}");
}

/// §3.1.2.3, Back-Channel Logout §2.1: a request carrying the cookie is
/// answered from the session — no new login, the same auth_time and sid —
/// and sets no new cookie.
#[tokio::test]
async fn a_second_request_with_the_cookie_reuses_auth_time_and_sid() {
    let (server, clock) = server_with(config());
    let (cookie_value, first) = first_login(&server).await;
    assert_eq!(first["auth_time"], NOW);
    clock.advance(30);
    let again = authorize_with(&server, &[], Some(&cookie_value)).await;
    assert_eq!(cookie(&again), None, "the session goes on");
    let second = id_token_claims(&server, &again).await;
    assert_eq!(second["auth_time"], first["auth_time"]);
    assert_eq!(second["sid"], first["sid"]);
    assert_eq!(second["sub"], "diana");
    // Without the cookie, a login of its own, as before.
    let (_, other) = first_login(&server).await;
    assert_eq!(other["auth_time"], NOW + 30);
    assert_ne!(other["sid"], first["sid"]);
}

/// §3.1.2.1 prompt=none, §3.1.2.6: with no session, no login is made —
/// `login_required`, by redirect to the client with its state.
#[tokio::test]
async fn prompt_none_without_a_session_is_login_required_by_redirect() {
    let server = server();
    let response = authorize_with(&server, &[("prompt", "none")], None).await;
    assert_eq!(error_of(&response).as_deref(), Some("login_required"));
    assert_eq!(redirect_param(&response, "state").as_deref(), Some("st8"));
    assert!(
        response
            .location
            .as_deref()
            .unwrap()
            .starts_with(REDIRECT_URI)
    );
    assert_eq!(cookie(&response), None);
    // A cookie this server never set is no session either.
    let forged = format!("__Host-oidc-story-session={}", "A".repeat(43));
    let response = authorize_with(&server, &[("prompt", "none")], Some(&forged)).await;
    assert_eq!(error_of(&response).as_deref(), Some("login_required"));
}

/// §3.1.2.1 prompt=none: with a session, the code is issued from it.
#[tokio::test]
async fn prompt_none_with_the_session_issues_a_code() {
    let (server, clock) = server_with(config());
    let (cookie_value, first) = first_login(&server).await;
    clock.advance(5);
    let response = authorize_with(&server, &[("prompt", "none")], Some(&cookie_value)).await;
    assert_eq!(cookie(&response), None);
    let claims = id_token_claims(&server, &response).await;
    assert_eq!(claims["auth_time"], first["auth_time"]);
    assert_eq!(claims["sid"], first["sid"]);
}

/// §3.1.2.1 prompt=login: the user is authenticated again even with a
/// session — a new auth_time and a new session cookie.
#[tokio::test]
async fn prompt_login_authenticates_again_with_a_new_auth_time() {
    let (server, clock) = server_with(config());
    let (cookie_value, first) = first_login(&server).await;
    clock.advance(5);
    let response = authorize_with(&server, &[("prompt", "login")], Some(&cookie_value)).await;
    let renewed = cookie(&response).expect("a new login sets a new cookie");
    assert_ne!(renewed, cookie_value);
    let claims = id_token_claims(&server, &response).await;
    assert_eq!(claims["auth_time"], NOW + 5);
    assert_ne!(claims["sid"], first["sid"]);
    // The new cookie stands for the new login.
    let response = authorize_with(&server, &[], Some(&renewed)).await;
    assert_eq!(
        id_token_claims(&server, &response).await["auth_time"],
        NOW + 5
    );
}

/// §3.1.2.1 max_age: a login older than max_age seconds is made again.
#[tokio::test]
async fn max_age_1_after_2_seconds_authenticates_again() {
    let (server, clock) = server_with(config());
    let (cookie_value, _) = first_login(&server).await;
    clock.advance(2);
    let response = authorize_with(&server, &[("max_age", "1")], Some(&cookie_value)).await;
    assert!(cookie(&response).is_some(), "a new login, a new cookie");
    let claims = id_token_claims(&server, &response).await;
    assert_eq!(claims["auth_time"], NOW + 2);
}

/// §3.1.2.1 max_age: a login within max_age serves; when max_age is asked
/// the ID token MUST carry auth_time (it always does here).
#[tokio::test]
async fn max_age_10000_keeps_the_login_and_the_id_token_carries_auth_time() {
    let (server, clock) = server_with(config());
    let (cookie_value, _) = first_login(&server).await;
    clock.advance(2);
    let response = authorize_with(&server, &[("max_age", "10000")], Some(&cookie_value)).await;
    assert_eq!(cookie(&response), None);
    let claims = id_token_claims(&server, &response).await;
    assert_eq!(claims["auth_time"], NOW, "auth_time is in the ID token");
}

/// §3.1.2.1: max_age=0 is prompt=login.
#[tokio::test]
async fn max_age_0_is_prompt_login() {
    let (server, _) = server_with(config());
    let (cookie_value, first) = first_login(&server).await;
    let response = authorize_with(&server, &[("max_age", "0")], Some(&cookie_value)).await;
    assert!(cookie(&response).is_some());
    let claims = id_token_claims(&server, &response).await;
    assert_ne!(claims["sid"], first["sid"]);
}

/// §3.1.2.1: prompt=none with a session older than max_age cannot log in
/// again — `login_required`.
#[tokio::test]
async fn prompt_none_with_a_session_older_than_max_age_is_login_required() {
    let (server, clock) = server_with(config());
    let (cookie_value, _) = first_login(&server).await;
    clock.advance(2);
    let response = authorize_with(
        &server,
        &[("prompt", "none"), ("max_age", "1")],
        Some(&cookie_value),
    )
    .await;
    assert_eq!(error_of(&response).as_deref(), Some("login_required"));
}

/// §3.1.2.1: max_age is a non-negative integer; anything else is
/// `invalid_request`, by redirect.
#[tokio::test]
async fn a_bad_max_age_is_invalid_request() {
    let server = server();
    for bad in ["-1", "1.5", "ten", "+5", " 5"] {
        let response = authorize_with(&server, &[("max_age", bad)], None).await;
        assert_eq!(
            error_of(&response).as_deref(),
            Some("invalid_request"),
            "max_age={bad:?}"
        );
    }
}

/// RP-Initiated Logout §2: ending the session's sid ends the session —
/// its cookie is cleared and no longer logs anyone in.
#[tokio::test]
async fn after_end_session_the_cookie_no_longer_logs_in() {
    let (server, clock) = server_with(config());
    let response = authorize_with(&server, &[], None).await;
    let cookie_value = cookie(&response).unwrap();
    let code = redirect_param(&response, "code").unwrap();
    let tokens = crate::endpoint::token::handle(&server, &redeem(&server, &code)).await;
    let id_token = json(&tokens)["id_token"].as_str().unwrap().to_owned();
    let first = oauth_core::jose::decode_unverified(&id_token)
        .unwrap()
        .claims;
    let logout = HttpRequest::new(
        "GET",
        &format!(
            "{}?{}",
            url(&server, Endpoint::EndSession),
            encode(&[("id_token_hint", id_token.as_str())])
        ),
        [("Cookie", cookie_value.as_str())],
        "",
    )
    .unwrap();
    let ended = crate::endpoint::end_session::handle(&server, &logout).await;
    assert_eq!(ended.response.status, 200, "{}", ended.response.body);
    let cleared = header(&ended.response, "set-cookie").expect("the cookie is cleared");
    assert!(
        cleared.starts_with("__Host-oidc-story-session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    clock.advance(1);
    let none = authorize_with(&server, &[("prompt", "none")], Some(&cookie_value)).await;
    assert_eq!(error_of(&none).as_deref(), Some("login_required"));
    // Without prompt=none: a new login, a new session.
    let again = authorize_with(&server, &[], Some(&cookie_value)).await;
    assert!(cookie(&again).is_some());
    let claims = id_token_claims(&server, &again).await;
    assert_eq!(claims["auth_time"], NOW + 1);
    assert_ne!(claims["sid"], first["sid"]);
}

/// An ID token of this server for `client`, about `user`.
fn id_token_for(server: &AuthServer, user: &str) -> String {
    let client = server.config.clients[CODE_CLIENT.0].clone();
    let scope = oauth_core::scope::Scope::parse("openid").unwrap();
    crate::id_token::mint(
        server,
        &crate::id_token::IdTokenSpec {
            client: &client,
            subject: user,
            user,
            auth_time: NOW,
            acr: None,
            nonce: None,
            scope: &scope,
            claims: None,
            scope_claims: false,
            access_token: None,
            code: None,
            sid: None,
        },
    )
    .unwrap()
}

/// §3.1.2.1 id_token_hint, §3.1.2.2 item 4: prompt=none with a hint for
/// another user than the session's is `login_required`; a hint for the
/// session's user is answered.
#[tokio::test]
async fn prompt_none_with_a_hint_for_another_user_is_login_required() {
    let server = server();
    let (cookie_value, _) = first_login(&server).await;
    let babs = id_token_for(&server, "babs");
    let response = authorize_with(
        &server,
        &[("prompt", "none"), ("id_token_hint", &babs)],
        Some(&cookie_value),
    )
    .await;
    assert_eq!(error_of(&response).as_deref(), Some("login_required"));
    let diana = id_token_for(&server, "diana");
    let response = authorize_with(
        &server,
        &[("prompt", "none"), ("id_token_hint", &diana)],
        Some(&cookie_value),
    )
    .await;
    assert!(redirect_param(&response, "code").is_some());
}

/// §3.1.2.1 display, ui_locales, login_hint, acr_values; §5.2
/// claims_locales; RFC 6749 §3.1: accepted (an unknown display value and
/// an unknown parameter ignored), and nothing else changes. acr_values is
/// voluntary: the ID token's acr is the login's.
#[tokio::test]
async fn display_locales_hints_acr_values_and_unknown_parameters_are_accepted() {
    let server = server();
    for display in ["page", "popup", "touch", "wap", "hologram"] {
        let response = authorize_with(
            &server,
            &[
                ("display", display),
                ("ui_locales", "fr-CA fr en"),
                ("claims_locales", "de en"),
                ("login_hint", "babs@example.com"),
                ("acr_values", "urn:mace:incommon:iap:silver"),
                ("an_extension", "whatever"),
            ],
            None,
        )
        .await;
        let claims = id_token_claims(&server, &response).await;
        assert_eq!(claims["sub"], "diana", "a login hint logs no one in");
        assert_eq!(claims["acr"], server.config.login_acr.as_str());
    }
}

/// OIDC Discovery §3: what the endpoint accepts is published.
#[test]
fn the_metadata_publishes_display_values_and_locales() {
    let server = server();
    let doc = crate::discovery::document(&server.config);
    assert_eq!(
        doc["display_values_supported"],
        serde_json::json!(["page", "popup", "touch", "wap"])
    );
    assert_eq!(doc["ui_locales_supported"], serde_json::json!(["en"]));
    assert_eq!(doc["claims_locales_supported"], serde_json::json!(["en"]));
    assert_eq!(doc["claims_parameter_supported"], true);
    assert_eq!(doc["request_parameter_supported"], true);
    assert_eq!(doc["request_uri_parameter_supported"], false);
}
