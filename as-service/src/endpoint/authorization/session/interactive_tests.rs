//! The login session on an interactive endpoint: the approval is the login
//! (OIDC Core §3.1.2.3), a session serves a configured client without the
//! page, and prompt (§3.1.2.1) brings the page back.
use std::sync::Arc;

use oauth_core::clock::ManualClock;
use oauth_core::http::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::AuthServer;
use crate::config::Endpoint;
use crate::test_support::*;

use super::super::handle;

fn interactive() -> (Arc<AuthServer>, Arc<ManualClock>) {
    let mut config = config();
    config.interactive = true;
    server_with(config)
}

/// A code request of `client_id` with `extra`, and the cookie if any.
fn request(
    server: &AuthServer,
    client_id: &str,
    extra: &[(&str, &str)],
    cookie: Option<&str>,
) -> HttpRequest {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("state", "st8"),
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

async fn ask(server: &AuthServer, extra: &[(&str, &str)], cookie: Option<&str>) -> HttpResponse {
    handle(server, &request(server, CODE_CLIENT.0, extra, cookie)).await
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The page's hidden fields, with the approval of `user`.
fn approval(page: &HttpResponse, user: &str) -> Vec<(String, String)> {
    assert_eq!(page.status, 200, "{}", page.body);
    let mut fields: Vec<(String, String)> = page
        .body
        .lines()
        .filter_map(|line| line.strip_prefix("<input type=\"hidden\" name=\""))
        .map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"").unwrap();
            (unescape(name), unescape(rest.strip_suffix("\">").unwrap()))
        })
        .collect();
    fields.push(("user".into(), user.into()));
    fields.push(("decision".into(), "approve".into()));
    fields
}

/// The approval posted by the browser, with its cookie if any.
async fn submit(
    server: &AuthServer,
    fields: &[(String, String)],
    cookie: Option<&str>,
) -> HttpResponse {
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("Cookie", c)).into_iter().collect();
    let target = url(server, Endpoint::Authorization);
    handle(server, &post_with(&target, &headers, &form)).await
}

fn cookie(response: &HttpResponse) -> Option<String> {
    header(response, "set-cookie").map(|c| c.split(';').next().unwrap().to_owned())
}

async fn id_token_claims(server: &AuthServer, response: &HttpResponse) -> Value {
    let code = redirect_param(response, "code").expect("a code");
    let tokens = crate::endpoint::token::handle(server, &redeem(server, &code)).await;
    let id_token = json(&tokens)["id_token"].as_str().unwrap().to_owned();
    oauth_core::jose::decode_unverified(&id_token)
        .unwrap()
        .claims
}

/// Which user the page selects at first.
fn checked_user(page: &HttpResponse) -> String {
    let line = page
        .body
        .lines()
        .find(|l| l.contains("name=\"user\"") && l.contains(" checked>"))
        .expect("a user is selected");
    let value = line.split("value=\"").nth(1).unwrap();
    value.split('"').next().unwrap().to_owned()
}

/// §3.1.2.3: the person's approval is the login and sets the cookie; a
/// later request of a configured client is answered from the session,
/// without the page, with the same auth_time and sid.
#[tokio::test]
async fn interactive_the_approval_is_the_login_and_the_session_skips_the_page() {
    let (server, clock) = interactive();
    let page = ask(&server, &[], None).await;
    let answer = submit(&server, &approval(&page, "babs"), None).await;
    assert_eq!(answer.status, 302, "{}", answer.body);
    let session = cookie(&answer).expect("the approval sets the cookie");
    let first = id_token_claims(&server, &answer).await;
    assert_eq!(first["sub"], "babs");
    clock.advance(60);
    let again = ask(&server, &[], Some(&session)).await;
    assert_eq!(again.status, 302, "no page: {}", again.body);
    let second = id_token_claims(&server, &again).await;
    assert_eq!(second["sub"], "babs");
    assert_eq!(second["auth_time"], first["auth_time"]);
    assert_eq!(second["sid"], first["sid"]);
    // §3.1.2.1 prompt=none is answered from the session too.
    let silent = ask(&server, &[("prompt", "none")], Some(&session)).await;
    assert!(redirect_param(&silent, "code").is_some());
}

/// §3.1.2.1 prompt=login: the page again, and its approval is a new login
/// (new auth_time, new cookie).
#[tokio::test]
async fn interactive_prompt_login_shows_the_page_and_its_approval_is_a_new_login() {
    let (server, clock) = interactive();
    let page = ask(&server, &[], None).await;
    let answer = submit(&server, &approval(&page, "diana"), None).await;
    let session = cookie(&answer).unwrap();
    clock.advance(5);
    let page = ask(&server, &[("prompt", "login")], Some(&session)).await;
    assert_eq!(page.status, 200, "the page again");
    let answer = submit(&server, &approval(&page, "diana"), Some(&session)).await;
    let renewed = cookie(&answer).expect("a new login, a new cookie");
    assert_ne!(renewed, session);
    assert_eq!(
        id_token_claims(&server, &answer).await["auth_time"],
        NOW + 5
    );
}

/// §3.1.2.1 prompt=consent: the page, with the session's user selected;
/// approving as that user keeps the login (same auth_time, no new cookie).
#[tokio::test]
async fn interactive_prompt_consent_keeps_the_login_of_the_session() {
    let (server, clock) = interactive();
    let page = ask(&server, &[], None).await;
    let answer = submit(&server, &approval(&page, "upper"), None).await;
    let session = cookie(&answer).unwrap();
    let first = id_token_claims(&server, &answer).await;
    clock.advance(5);
    let page = ask(&server, &[("prompt", "consent")], Some(&session)).await;
    assert_eq!(checked_user(&page), "upper");
    let answer = submit(&server, &approval(&page, "upper"), Some(&session)).await;
    assert_eq!(cookie(&answer), None);
    let claims = id_token_claims(&server, &answer).await;
    assert_eq!(claims["auth_time"], first["auth_time"]);
    assert_eq!(claims["sid"], first["sid"]);
}

/// §3.1.2.1 login_hint: a known user (by name or e-mail address) is
/// selected on the page; an unknown hint changes nothing; a hint logs no
/// one in.
#[tokio::test]
async fn interactive_login_hint_preselects_a_known_user() {
    let (server, _) = interactive();
    let page = ask(&server, &[("login_hint", "babs@example.com")], None).await;
    assert_eq!(checked_user(&page), "babs");
    let page = ask(&server, &[("login_hint", "upper")], None).await;
    assert_eq!(checked_user(&page), "upper");
    let page = ask(&server, &[("login_hint", "nobody@example.net")], None).await;
    assert_eq!(checked_user(&page), server.config.login_user);
}

/// §3.1.2.1 ui_locales: the page is in English, and says so when none of
/// the languages asked for is.
#[tokio::test]
async fn interactive_the_page_notes_languages_it_cannot_meet() {
    let (server, _) = interactive();
    let page = ask(&server, &[("ui_locales", "fr-CA fr")], None).await;
    assert!(page.body.contains("English only"), "{}", page.body);
    assert!(page.body.contains("fr-CA fr"));
    let page = ask(&server, &[("ui_locales", "sv en-GB")], None).await;
    assert!(!page.body.contains("English only"));
}

/// §3.1.2.1 prompt=none, §3.1.2.6: a self-registered client is approved by
/// a person each time, so with no page allowed it is `consent_required`.
#[tokio::test]
async fn interactive_prompt_none_for_a_registered_client_is_consent_required() {
    let mut config = config();
    config.interactive = true;
    let mut registered = (*config.clients[CODE_CLIENT.0]).clone();
    registered.client_id = "registered".into();
    registered.dynamic = true;
    config
        .clients
        .insert("registered".into(), Arc::new(registered));
    let (server, _) = server_with(config);
    let page = ask(&server, &[], None).await;
    let session = cookie(&submit(&server, &approval(&page, "diana"), None).await).unwrap();
    let silent = handle(
        &server,
        &request(&server, "registered", &[("prompt", "none")], Some(&session)),
    )
    .await;
    assert_eq!(error(&silent), "consent_required", "{}", silent.body);
    // Without prompt=none, the page.
    let page = handle(
        &server,
        &request(&server, "registered", &[], Some(&session)),
    )
    .await;
    assert_eq!(page.status, 200);
}
