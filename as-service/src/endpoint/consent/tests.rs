use base64::Engine;
use oauth_core::http::HttpResponse;

use crate::config::Endpoint;
use crate::endpoint::authorization::handle;
use crate::test_support::*;

fn interactive() -> (
    std::sync::Arc<crate::AuthServer>,
    std::sync::Arc<oauth_core::clock::ManualClock>,
) {
    let mut config = config();
    config.interactive = true;
    server_with(config)
}

fn code_request(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut pairs = vec![
        ("response_type", "code".to_owned()),
        ("client_id", CODE_CLIENT.0.to_owned()),
        ("redirect_uri", REDIRECT_URI.to_owned()),
        ("scope", "openid foobar".to_owned()),
        ("state", "a<b>\"c\"".to_owned()),
    ];
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        pairs.push((*k, (*v).to_owned()));
    }
    pairs
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The hidden fields of the approval page, as a browser would post them.
fn hidden_fields(page: &HttpResponse) -> Vec<(String, String)> {
    page.body
        .lines()
        .filter_map(|line| line.strip_prefix("<input type=\"hidden\" name=\""))
        .map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"").unwrap();
            let value = rest.strip_suffix("\">").unwrap();
            (unescape(name), unescape(value))
        })
        .collect()
}

async fn show_page(server: &crate::AuthServer, extra: &[(&'static str, &str)]) -> HttpResponse {
    let pairs = code_request(extra);
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let request = get_query(&url(server, Endpoint::Authorization), &borrowed);
    handle(server, &request).await
}

async fn submit(server: &crate::AuthServer, fields: &[(String, String)]) -> HttpResponse {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    handle(
        server,
        &post(&url(server, Endpoint::Authorization), &borrowed),
    )
    .await
}

fn approve(fields: &[(String, String)], user: &str) -> Vec<(String, String)> {
    let mut all = fields.to_vec();
    all.push(("user".into(), user.into()));
    all.push(("decision".into(), "approve".into()));
    all
}

#[tokio::test]
async fn the_page_lists_every_user_and_escapes_the_request() {
    let (server, _) = interactive();
    let page = show_page(&server, &[]).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        header(&page, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        header(&page, "content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    for user in ["diana", "babs", "upper"] {
        assert!(
            page.body.contains(&format!("value=\"{user}\"")),
            "{user} missing"
        );
    }
    assert!(page.body.contains("a&lt;b&gt;&quot;c&quot;"));
    assert!(!page.body.contains("<b>"));
    assert!(!page.body.contains("<script"));
    let fields = hidden_fields(&page);
    assert!(fields.iter().any(|(k, v)| k == "state" && v == "a<b>\"c\""));
    assert!(fields.iter().any(|(k, _)| k == "csrf_token"));
}

#[tokio::test]
async fn approving_redirects_with_a_code_for_the_chosen_user() {
    let (server, _) = interactive();
    let fields = hidden_fields(&show_page(&server, &[]).await);
    let response = submit(&server, &approve(&fields, "babs")).await;
    assert_eq!(response.status, 302, "{}", response.body);
    assert_eq!(
        redirect_param(&response, "state").as_deref(),
        Some("a<b>\"c\"")
    );
    let code = redirect_param(&response, "code").unwrap();
    let tokens = crate::endpoint::token::handle(&server, &redeem(&server, &code)).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let id_token = json(&tokens)["id_token"].as_str().unwrap().to_owned();
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "babs");
}

#[tokio::test]
async fn an_approval_without_a_csrf_token_is_refused() {
    let (server, _) = interactive();
    let fields: Vec<(String, String)> = hidden_fields(&show_page(&server, &[]).await)
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    let response = submit(&server, &approve(&fields, "diana")).await;
    assert_eq!(response.status, 403);
    assert!(response.location.is_none());
    assert_eq!(error(&response), "invalid_request");
}

#[tokio::test]
async fn a_csrf_token_made_for_another_request_is_refused() {
    let (server, _) = interactive();
    let fields = hidden_fields(&show_page(&server, &[]).await);
    // The same token with a wider scope.
    let widened: Vec<(String, String)> = fields
        .into_iter()
        .map(|(k, v)| {
            if k == "scope" {
                (k, "openid foobar email".into())
            } else {
                (k, v)
            }
        })
        .collect();
    let response = submit(&server, &approve(&widened, "diana")).await;
    assert_eq!(response.status, 403);
    assert!(response.location.is_none());
}

#[tokio::test]
async fn a_stale_approval_page_is_refused() {
    let (server, clock) = interactive();
    let fields = hidden_fields(&show_page(&server, &[]).await);
    clock.advance(601);
    let response = submit(&server, &approve(&fields, "diana")).await;
    assert_eq!(response.status, 403);
}

#[tokio::test]
async fn an_unknown_user_is_refused() {
    let (server, _) = interactive();
    let fields = hidden_fields(&show_page(&server, &[]).await);
    let response = submit(&server, &approve(&fields, "mallory")).await;
    assert_eq!(response.status, 400);
    assert!(response.location.is_none());
}

#[tokio::test]
async fn denying_redirects_with_access_denied() {
    let (server, _) = interactive();
    let mut fields = hidden_fields(&show_page(&server, &[]).await);
    fields.push(("decision".into(), "deny".into()));
    let response = submit(&server, &fields).await;
    assert_eq!(response.status, 302);
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("access_denied")
    );
    assert!(redirect_param(&response, "code").is_none());
}

/// OIDC Core §3.1.2.6: with prompt=none no page may be shown.
#[tokio::test]
async fn prompt_none_is_answered_login_required() {
    let (server, _) = interactive();
    let response = show_page(&server, &[("prompt", "none")]).await;
    assert_eq!(response.status, 302);
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn a_non_interactive_endpoint_logs_the_configured_user_in() {
    let server = server();
    let response = show_page(&server, &[]).await;
    assert_eq!(response.status, 302);
    assert!(redirect_param(&response, "code").is_some());
}

/// A pushed request (RFC 9126) is taken once, when the page is made; the
/// approval carries its parameters, and works where PAR is required.
#[tokio::test]
async fn a_pushed_request_is_approved_from_its_page() {
    let mut config = config();
    config.interactive = true;
    config.par.required = true;
    let (server, _) = server_with(config);
    let pushed = crate::endpoint::par::handle(
        &server,
        &post_as(
            &url(&server, Endpoint::PushedAuthorization),
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
    let request_uri = json(&pushed)["request_uri"].as_str().unwrap().to_owned();
    let page = handle(
        &server,
        &get_query(
            &url(&server, Endpoint::Authorization),
            &[("client_id", CODE_CLIENT.0), ("request_uri", &request_uri)],
        ),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = hidden_fields(&page);
    assert!(!fields.iter().any(|(k, _)| k == "request_uri"));
    let response = submit(&server, &approve(&fields, "upper")).await;
    assert_eq!(response.status, 302, "{}", response.body);
    assert!(redirect_param(&response, "code").is_some());
    assert_eq!(
        redirect_param(&response, "state").as_deref(),
        Some("pushed")
    );
    // The pushed request was spent by the page.
    let again = submit(
        &server,
        &[
            ("client_id".into(), CODE_CLIENT.0.into()),
            ("request_uri".into(), request_uri),
        ],
    )
    .await;
    assert_ne!(again.status, 302);
}

#[tokio::test]
async fn an_approval_page_is_answered_once() {
    let (server, _) = interactive();
    let fields = approve(&hidden_fields(&show_page(&server, &[]).await), "diana");
    assert_eq!(submit(&server, &fields).await.status, 302);
    let replayed = submit(&server, &fields).await;
    assert_eq!(replayed.status, 403);
    assert!(replayed.location.is_none());
}

/// RFC 8628 §5.1: a page the authorization endpoint made, with a guessed
/// `user_code` slipped into its request, is no answer at the device
/// verification URI — the CSRF token names the endpoint it was made for,
/// so the authorization endpoint cannot be a source of unthrottled guesses.
#[tokio::test]
async fn an_authorization_page_posted_to_the_device_verification_uri_is_refused() {
    let (server, _) = interactive();
    let page = show_page(&server, &[("user_code", "BCDF-GHJK")]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let fields = approve(&hidden_fields(&page), "diana");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let answer = crate::endpoint::device_verification::handle(
        &server,
        &post(&url(&server, Endpoint::DeviceVerification), &borrowed),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
}
