//! Back-channel logout behind the HTTP front (OIDC Back-Channel Logout 1.0
//! §2.5): a third-party client (the `openidconnect` crate) logs in over
//! HTTP, the user agent is sent to end_session, and the AS itself POSTs the
//! logout token to the client's registered back-channel logout URI, a
//! listener on a loopback port.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use as_service::AuthServer;
use as_service::config::Config;
use base64::Engine;
use oauth_core::jose::KeySet;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::reqwest;
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, RedirectUrl,
    TokenResponse,
};
use tokio::sync::mpsc;

const CODE_CLIENT: (&str, &str) = ("client", "SUPERhemligtlösenord");
const REDIRECT_URI: &str = "https://example.com/cb";
const LOGGED_OUT: &str = "https://example.com/logged-out";

/// A client's back-channel logout endpoint on a loopback port: each POST's
/// content type and body, sent on; it answers `status`.
async fn logout_listener(status: u16) -> (String, mpsc::UnboundedReceiver<(String, String)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/backchannel",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: String| async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let _ = tx.send((content_type, body));
                axum::http::StatusCode::from_u16(status).unwrap()
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}/backchannel", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (uri, rx)
}

/// The AS over HTTP on a loopback port, client `client`'s back-channel
/// logout URI set to `backchannel`.
async fn http_server(backchannel: &str) -> (String, Arc<AuthServer>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut config = Config::default_config().unwrap();
    config.set_issuer(&issuer).unwrap();
    let mut client = (*config.clients[CODE_CLIENT.0]).clone();
    client.backchannel_logout_uri = Some(backchannel.to_owned());
    config
        .clients
        .insert(CODE_CLIENT.0.to_owned(), Arc::new(client));
    let keys = KeySet::from_private_jwks(include_str!("../../src/test_support/keys.json")).unwrap();
    let server = AuthServer::new(config, keys).unwrap();
    tokio::spawn(as_service::http::serve(
        listener,
        server.clone(),
        std::future::pending(),
    ));
    (issuer, server)
}

fn http_client() -> reqwest::Client {
    let _ = tokio_rustls::rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Logs in through the code flow with `openidconnect`; the ID token.
async fn log_in(issuer: &str, http: &reqwest::Client) -> (String, String) {
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.into()).unwrap(), http)
            .await
            .unwrap();
    let document = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let end_session = document["end_session_endpoint"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CODE_CLIENT.0.into()),
        Some(ClientSecret::new(CODE_CLIENT.1.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (authorization_url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    let answer = http.get(authorization_url).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(http)
        .await
        .unwrap();
    (tokens.id_token().unwrap().to_string(), end_session)
}

fn claims(jwt: &str) -> serde_json::Value {
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn the_http_front_posts_the_logout_token_to_the_registered_uri() {
    let (backchannel, mut received) = logout_listener(200).await;
    let (issuer, _server) = http_server(&backchannel).await;
    let http = http_client();
    let (id_token, end_session) = log_in(&issuer, &http).await;

    let mut logout = url::Url::parse(&end_session).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &id_token)
        .append_pair("post_logout_redirect_uri", LOGGED_OUT);
    let answer = http.get(logout).send().await.unwrap();
    // The user agent is answered at once, whatever the notification does.
    assert_eq!(answer.status(), 302);
    assert_eq!(answer.headers()["location"], LOGGED_OUT);

    let (content_type, body) = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("a logout token within 10 s")
        .unwrap();
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("a logout_token parameter");
    let logout_claims = claims(&token);
    let login = claims(&id_token);
    assert_eq!(logout_claims["iss"], issuer.as_str());
    assert_eq!(logout_claims["aud"], CODE_CLIENT.0);
    assert_eq!(logout_claims["sid"], login["sid"]);
    assert!(logout_claims["sid"].is_string());
    assert!(
        logout_claims["events"]
            .get("http://schemas.openid.net/event/backchannel-logout")
            .is_some()
    );
    assert!(logout_claims.get("nonce").is_none());

    // The session is ended once: a second logout sends nothing more.
    let mut again = url::Url::parse(&end_session).unwrap();
    again
        .query_pairs_mut()
        .append_pair("id_token_hint", &id_token);
    let answer = http.get(again).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), received.recv())
            .await
            .is_err(),
        "no second notification"
    );
}

#[tokio::test]
async fn a_client_refusing_the_logout_token_does_not_hold_up_the_user_agent() {
    let (backchannel, mut received) = logout_listener(400).await;
    let (issuer, _server) = http_server(&backchannel).await;
    let http = http_client();
    let (id_token, end_session) = log_in(&issuer, &http).await;
    let mut logout = url::Url::parse(&end_session).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", &id_token);
    let answer = http.get(logout).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    // Posted once; a 400 is the client's last word (§2.8), not tried again.
    assert!(
        tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        tokio::time::timeout(Duration::from_secs(3), received.recv())
            .await
            .is_err(),
        "not posted again"
    );
}
