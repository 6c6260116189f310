//! The login session over real HTTP, on an ephemeral loopback port: the
//! authorization endpoint's answer sets the session cookie, and a second
//! authorization carrying it is answered from the same login (OIDC Core
//! §3.1.2.1 prompt=none, §3.1.2.3), as a browser would see it.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use as_service::AuthServer;
use as_service::config::{Config, Endpoint};
use oauth_core::jose::KeySet;

/// From deploy/as.toml.
const CODE_CLIENT: (&str, &str) = ("client", "SUPERhemligtlösenord");
const REDIRECT_URI: &str = "https://example.com/cb";

/// An in-process AS serving HTTP on an ephemeral loopback port, its issuer
/// `http://127.0.0.1:PORT`.
async fn http_server() -> Arc<AuthServer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut config = Config::default_config().unwrap();
    config.set_issuer(&issuer).unwrap();
    let keys = KeySet::from_private_jwks(include_str!("../../src/test_support/keys.json")).unwrap();
    let server = AuthServer::new(config, keys).unwrap();
    tokio::spawn(as_service::http::serve(
        listener,
        server.clone(),
        std::future::pending(),
    ));
    server
}

/// A client that reports redirects instead of following them, and keeps
/// no cookies of its own: the test carries them.
fn http_client() -> reqwest::Client {
    let _ = tokio_rustls::rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authorization_url(server: &AuthServer, extra: &[(&str, &str)]) -> String {
    let mut url = server.config.endpoints.url(Endpoint::Authorization).clone();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CODE_CLIENT.0)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid")
        .append_pair("state", "st8")
        .extend_pairs(extra);
    url.to_string()
}

fn redirect_param(response: &reqwest::Response, name: &str) -> Option<String> {
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The ID token claims a code is redeemed for, at the token endpoint over HTTP.
async fn id_token_claims(
    http: &reqwest::Client,
    server: &AuthServer,
    code: &str,
) -> serde_json::Value {
    let body = http
        .post(server.config.endpoints.url(Endpoint::Token).clone())
        .basic_auth(CODE_CLIENT.0, Some(CODE_CLIENT.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let tokens: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    oauth_core::jose::decode_unverified(id_token)
        .unwrap()
        .claims
}

#[tokio::test]
async fn the_login_sets_a_session_cookie_and_a_second_authorization_with_it_reuses_the_login() {
    let server = http_server().await;
    let http = http_client();

    // prompt=none before any login: login_required, by redirect.
    let silent = http
        .get(authorization_url(&server, &[("prompt", "none")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        redirect_param(&silent, "error").as_deref(),
        Some("login_required")
    );
    assert!(silent.headers().get("set-cookie").is_none());

    // The first authorization logs the configured user in and sets the cookie.
    let first = http
        .get(authorization_url(&server, &[]))
        .send()
        .await
        .unwrap();
    let set = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    let attributes: Vec<&str> = set.split("; ").collect();
    assert!(attributes[0].starts_with("oidc-story-session="), "{set}");
    for wanted in ["Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(attributes.contains(&wanted), "{set}");
    }
    // The issuer is http (loopback): the cookie cannot be Secure.
    assert!(!attributes.contains(&"Secure"), "{set}");
    let cookie = attributes[0].to_owned();
    let code = redirect_param(&first, "code").unwrap();
    let login = id_token_claims(&http, &server, &code).await;

    // A second authorization with the cookie, and prompt=none: a code of
    // the same login, and no new cookie.
    let second = http
        .get(authorization_url(&server, &[("prompt", "none")]))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(second.headers().get("set-cookie").is_none());
    let code = redirect_param(&second, "code").expect("a code from the session");
    let again = id_token_claims(&http, &server, &code).await;
    assert_eq!(again["sub"], "diana");
    assert_eq!(again["auth_time"], login["auth_time"]);
    assert_eq!(again["sid"], login["sid"]);
}
