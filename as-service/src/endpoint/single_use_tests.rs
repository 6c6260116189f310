//! Every single-use value this server mints is spent by its identity, not
//! its spelling: once the genuine value has been used, the same value
//! respelled — a sign or leading zeros before a number, another case,
//! base64 padding or stray bits, whitespace — is refused, and nothing
//! more is issued for it. Approval pages (authorization endpoint, pushed
//! request, device verification URI), request_uris of both forms, codes,
//! refresh tokens, device codes and user codes.
use oauth_core::http::HttpResponse;

use crate::AuthServer;
use crate::config::{Endpoint, RequestUriForm};
use crate::test_support::*;

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `value` with its last base64url character's unused low bits set: the
/// same bytes to a lax decoder, another text to a strict one.
fn stray_bits(value: &str) -> Vec<String> {
    let Some(last) = value.bytes().last() else {
        return Vec::new();
    };
    let Some(index) = BASE64URL.iter().position(|c| *c == last) else {
        return Vec::new();
    };
    (1..4)
        .map(|bits| {
            let stray = char::from(BASE64URL[index ^ bits]);
            format!("{}{stray}", &value[..value.len() - 1])
        })
        .collect()
}

/// The respellings of a value: sign and leading zeros, case, padding,
/// stray bits and whitespace; never the value itself.
fn respellings(value: &str) -> Vec<String> {
    let mut all = vec![
        format!("+{value}"),
        format!("-{value}"),
        format!("0{value}"),
        format!("00{value}"),
        value.to_uppercase(),
        value.to_lowercase(),
        format!("{value}="),
        format!("{value}=="),
        format!("{value} "),
        format!(" {value}"),
        format!("{value}\t"),
        format!("{value}\n"),
    ];
    all.extend(stray_bits(value));
    all.retain(|v| v != value);
    all.sort();
    all.dedup();
    all
}

/// The respellings of an approval page's CSRF token (`made.nonce.tag`):
/// each part respelled on its own, and the whole.
fn token_respellings(token: &str) -> Vec<String> {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let mut all = respellings(token);
    for (i, part) in parts.iter().enumerate() {
        for respelled in respellings(part) {
            let mut whole = parts.clone();
            whole[i] = &respelled;
            all.push(whole.join("."));
        }
    }
    all.retain(|v| v != token);
    all
}

fn csrf_token(page: &HttpResponse) -> String {
    page.body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned()
}

/// The hidden fields of an approval page (values this server escapes only
/// for `&`, `<`, `>` and quotes; none of the tests' values has them).
fn hidden_fields(page: &HttpResponse) -> Vec<(String, String)> {
    page.body
        .lines()
        .filter_map(|line| line.strip_prefix("<input type=\"hidden\" name=\""))
        .filter_map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"")?;
            Some((name.to_owned(), rest.strip_suffix("\">")?.to_owned()))
        })
        .collect()
}

/// The page's form answered with `token` as its CSRF token, by `user`.
fn answer(page_fields: &[(String, String)], token: &str, user: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = page_fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .cloned()
        .collect();
    fields.push(("csrf_token".into(), token.into()));
    fields.push(("user".into(), user.into()));
    fields.push(("decision".into(), "approve".into()));
    fields
}

async fn post_to(server: &AuthServer, at: Endpoint, fields: &[(String, String)]) -> HttpResponse {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let request = post(&url(server, at), &borrowed);
    match at {
        Endpoint::DeviceVerification => super::device_verification::handle(server, &request).await,
        _ => super::authorization::handle(server, &request).await,
    }
}

fn interactive() -> std::sync::Arc<AuthServer> {
    let mut config = config();
    config.interactive = true;
    server_with(config).0
}

/// A server that lets one caller enter as many wrong user codes as these
/// tests do (RFC 8628 §5.1's throttle is tested on its own).
fn unthrottled(interactive: bool) -> std::sync::Arc<AuthServer> {
    let mut config = config();
    config.interactive = interactive;
    config.device.max_user_code_failures = 100;
    server_with(config).0
}

/// Answers the approval page `page` (posting to `at`) once as diana, then
/// with every respelling of its token, each by another user: every
/// respelled answer is refused with 403 and issues nothing.
async fn answered_once(server: &AuthServer, at: Endpoint, page: &HttpResponse) -> HttpResponse {
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = hidden_fields(page);
    let token = csrf_token(page);
    let first = post_to(server, at, &answer(&fields, &token, "diana")).await;
    let respelled = token_respellings(&token);
    assert!(respelled.len() > 40, "{}", respelled.len());
    for (i, variant) in respelled.iter().enumerate() {
        let user = ["babs", "upper", "diana"][i % 3];
        let again = post_to(server, at, &answer(&fields, variant, user)).await;
        assert_eq!(again.status, 403, "{variant:?}: {}", again.body);
        assert!(again.location.is_none(), "{variant:?}");
        assert!(!again.body.contains("code="), "{variant:?}");
    }
    first
}

/// The finding: an answered approval page re-posted with `+T…`, `0T…` or
/// any other spelling of its token, and another user, issued another code.
#[tokio::test]
async fn an_answered_approval_page_issues_no_code_under_a_respelled_token() {
    let server = interactive();
    let page = super::authorization::handle(
        &server,
        &get_query(
            &url(&server, Endpoint::Authorization),
            &[
                ("response_type", "code"),
                ("client_id", CODE_CLIENT.0),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid foobar"),
                ("state", "s1"),
            ],
        ),
    )
    .await;
    let first = answered_once(&server, Endpoint::Authorization, &page).await;
    assert_eq!(first.status, 302, "{}", first.body);
    let code = redirect_param(&first, "code").unwrap();
    let tokens = crate::endpoint::token::handle(&server, &redeem(&server, &code)).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
}

/// A single-use request_uri's page is answered once: respelling its token
/// does not turn one pushed request into many codes.
#[tokio::test]
async fn a_pushed_requests_approval_page_issues_one_code() {
    let server = interactive();
    let request_uri = push(&server).await;
    let page =
        super::authorization::handle(&server, &with_request_uri(&server, &request_uri)).await;
    let first = answered_once(&server, Endpoint::Authorization, &page).await;
    assert_eq!(first.status, 302, "{}", first.body);
    assert!(redirect_param(&first, "code").is_some());
}

/// The device verification URI's approval page is answered once, whatever
/// the spelling of its token, and the device gets one set of tokens.
#[tokio::test]
async fn a_device_approval_page_decides_once_under_a_respelled_token() {
    let server = interactive();
    let body = device_authorize(&server, "foobar").await;
    let page = enter_user_code(&server, body["user_code"].as_str().unwrap()).await;
    let first = answered_once(&server, Endpoint::DeviceVerification, &page).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.contains("Device approved"), "{}", first.body);
    let device_code = body["device_code"].as_str().unwrap();
    assert_eq!(poll_device(&server, device_code).await.status, 200);
    assert_eq!(
        error(&poll_device(&server, device_code).await),
        "invalid_grant"
    );
}

/// Base64url in a CSRF token is read strictly: an unanswered page's token
/// with `=` padding or stray bits in its nonce or tag is refused, and the
/// genuine token still answers the page afterwards.
#[tokio::test]
async fn an_approval_token_with_padding_or_stray_bits_is_malformed() {
    let server = interactive();
    let body = device_authorize(&server, "foobar").await;
    let page = enter_user_code(&server, body["user_code"].as_str().unwrap()).await;
    let fields = hidden_fields(&page);
    let token = csrf_token(&page);
    let parts: Vec<&str> = token.split('.').collect();
    let mut lax = Vec::new();
    for i in 1..3 {
        let mut respelled: Vec<String> = stray_bits(parts[i]);
        respelled.push(format!("{}=", parts[i]));
        for r in respelled {
            let mut whole = parts.clone();
            whole[i] = &r;
            lax.push(whole.join("."));
        }
    }
    for variant in lax {
        let refused = post_to(
            &server,
            Endpoint::DeviceVerification,
            &answer(&fields, &variant, "babs"),
        )
        .await;
        assert_eq!(refused.status, 403, "{variant}");
        assert!(refused.body.contains("malformed"), "{}", refused.body);
    }
    let genuine = post_to(
        &server,
        Endpoint::DeviceVerification,
        &answer(&fields, &token, "babs"),
    )
    .await;
    assert_eq!(genuine.status, 200, "{}", genuine.body);
}

async fn push(server: &AuthServer) -> String {
    let pushed = super::par::handle(
        server,
        &post_as(
            &url(server, Endpoint::PushedAuthorization),
            CODE_CLIENT,
            &[
                ("response_type", "code"),
                ("redirect_uri", REDIRECT_URI),
                ("state", "pushed"),
            ],
        ),
    )
    .await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    json(&pushed)["request_uri"].as_str().unwrap().to_owned()
}

fn with_request_uri(server: &AuthServer, request_uri: &str) -> oauth_core::http::HttpRequest {
    get_query(
        &url(server, Endpoint::Authorization),
        &[("client_id", CODE_CLIENT.0), ("request_uri", request_uri)],
    )
}

/// RFC 9126 §2.2: a request_uri is used once; respelled (case of the URN
/// or of the UUID's hex digits, padding, whitespace) it is not one this
/// server issued, in both forms it issues.
#[tokio::test]
async fn a_used_request_uri_is_refused_in_every_spelling() {
    for form in [RequestUriForm::Ietf, RequestUriForm::Uuid] {
        let mut config = config();
        config.par.request_uri_form = form;
        let (server, _) = server_with(config);
        let request_uri = push(&server).await;
        let first =
            super::authorization::handle(&server, &with_request_uri(&server, &request_uri)).await;
        assert_eq!(first.status, 302, "{}", first.body);
        assert!(redirect_param(&first, "code").is_some());
        let (prefix, rest) = request_uri.rsplit_once(':').unwrap();
        let mut variants = respellings(&request_uri);
        variants.extend(respellings(rest).iter().map(|r| format!("{prefix}:{r}")));
        variants.push(request_uri.replacen("urn:", "URN:", 1));
        for variant in variants {
            let again =
                super::authorization::handle(&server, &with_request_uri(&server, &variant)).await;
            assert_eq!(again.status, 400, "{variant:?}: {}", again.body);
            assert_eq!(error(&again), "invalid_request_uri", "{variant:?}");
        }
    }
}

/// RFC 6749 §4.1.2: a code is used once; its respellings are unknown codes.
#[tokio::test]
async fn a_redeemed_code_is_refused_in_every_spelling() {
    let server = server();
    let code = authorize(&server, "openid foobar").await;
    let first = crate::endpoint::token::handle(&server, &redeem(&server, &code)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    for variant in respellings(&code) {
        let again = crate::endpoint::token::handle(&server, &redeem(&server, &variant)).await;
        assert_eq!(again.status, 400, "{variant:?}");
        assert_eq!(error(&again), "invalid_grant", "{variant:?}");
        assert!(!again.body.contains("access_token"), "{variant:?}");
    }
}

fn refresh(server: &AuthServer, token: &str) -> oauth_core::http::HttpRequest {
    post_as(
        &url(server, Endpoint::Token),
        CODE_CLIENT,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
}

/// RFC 9700 §4.14.2: a rotated refresh token is spent; its respellings are
/// unknown tokens, and mint nothing.
#[tokio::test]
async fn a_rotated_refresh_token_is_refused_in_every_spelling() {
    let server = server();
    let tokens = code_flow(&server, "openid offline_access foobar").await;
    let old = tokens["refresh_token"].as_str().unwrap().to_owned();
    let first = crate::endpoint::token::handle(&server, &refresh(&server, &old)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    for variant in respellings(&old) {
        let again = crate::endpoint::token::handle(&server, &refresh(&server, &variant)).await;
        assert_eq!(again.status, 400, "{variant:?}");
        assert_eq!(error(&again), "invalid_grant", "{variant:?}");
    }
}

/// RFC 8628 §3.5: a redeemed device code is spent; its respellings are
/// unknown device codes.
#[tokio::test]
async fn a_redeemed_device_code_is_refused_in_every_spelling() {
    let server = server();
    let body = device_authorize(&server, "foobar").await;
    let device_code = body["device_code"].as_str().unwrap().to_owned();
    let user_code = body["user_code"].as_str().unwrap();
    assert_eq!(enter_user_code(&server, user_code).await.status, 200);
    let first = poll_device(&server, &device_code).await;
    assert_eq!(first.status, 200, "{}", first.body);
    for variant in respellings(&device_code) {
        let again = poll_device(&server, &variant).await;
        assert_eq!(again.status, 400, "{variant:?}");
        assert_eq!(error(&again), "invalid_grant", "{variant:?}");
    }
}

/// The spellings a person may type of a user code, all of them the same
/// code (RFC 8628 §6.1: case-insensitive, dashes and spaces ignored).
fn typed_spellings(shown: &str) -> Vec<String> {
    let bare = shown.replace('-', "");
    vec![
        shown.to_lowercase(),
        bare.clone(),
        bare.to_lowercase(),
        format!("{}-{}", &bare[..2], &bare[2..]),
        format!("{}-{}-{}", &bare[..3], &bare[3..6], &bare[6..]),
        format!("{} {}", &bare[..4], &bare[4..]),
        format!(" {shown} "),
        format!("{shown}\t"),
    ]
}

/// RFC 8628 §5.1: a decided user code cannot be decided again under any
/// spelling of it, and the device gets its tokens once.
#[tokio::test]
async fn a_decided_user_code_is_refused_in_every_spelling() {
    let server = unthrottled(false);
    let body = device_authorize(&server, "foobar").await;
    let shown = body["user_code"].as_str().unwrap();
    let first = enter_user_code(&server, shown).await;
    assert_eq!(first.status, 200, "{}", first.body);
    for variant in typed_spellings(shown) {
        let again = enter_user_code(&server, &variant).await;
        assert_eq!(again.status, 400, "{variant:?}: {}", again.body);
        assert_eq!(error(&again), "invalid_request", "{variant:?}");
    }
    let device_code = body["device_code"].as_str().unwrap();
    assert_eq!(poll_device(&server, device_code).await.status, 200);
}

/// With interaction, two approval pages opened for one user code under
/// two spellings are two pages but one code: the second answer finds the
/// code decided, and a later entry of it gets no page.
#[tokio::test]
async fn two_pages_for_one_user_code_decide_it_once() {
    let server = unthrottled(true);
    let body = device_authorize(&server, "foobar").await;
    let shown = body["user_code"].as_str().unwrap();
    let page_a = enter_user_code(&server, shown).await;
    let page_b = enter_user_code(&server, &shown.replace('-', "").to_lowercase()).await;
    let at = Endpoint::DeviceVerification;
    for (page, user, status) in [(&page_a, "babs", 200), (&page_b, "upper", 400)] {
        let fields = answer(&hidden_fields(page), &csrf_token(page), user);
        let answered = post_to(&server, at, &fields).await;
        assert_eq!(answered.status, status, "{}", answered.body);
    }
    for variant in typed_spellings(shown) {
        let again = enter_user_code(&server, &variant).await;
        assert_eq!(again.status, 400, "{variant:?}");
        assert!(!again.body.contains("csrf_token"), "{variant:?}");
    }
    let tokens = poll_device(&server, body["device_code"].as_str().unwrap()).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let access = json(&tokens)["access_token"].as_str().unwrap().to_owned();
    let claims = crate::tokens::validate_access_token(&server, &access)
        .await
        .unwrap();
    assert_eq!(claims.sub, "babs");
}
