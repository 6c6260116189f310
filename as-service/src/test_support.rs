//! Shared by the endpoint and grant tests: a server on an in-memory store
//! and a manual clock, requests built as a client would send them, and the
//! few flows many tests start from. No socket anywhere.
use std::sync::Arc;

use base64::Engine;
use oauth_core::clock::ManualClock;
use oauth_core::http::{HttpRequest, HttpResponse};
use oauth_core::jose::KeySet;
use serde_json::Value;

use crate::AuthServer;
use crate::config::{ClientFileConfig, Config, Endpoint};
use crate::store::MemoryStore;

/// The manual clock's start.
pub(crate) const NOW: i64 = 1_700_000_000;

/// `client`: confidential, code, implicit, refresh and token exchange.
pub(crate) const CODE_CLIENT: (&str, &str) = ("client", "SUPERhemligtlösenord");
/// `client_2`: confidential, code only, Basic only.
pub(crate) const CLIENT_2: (&str, &str) = ("client_2", "a second code client");
/// `client_1`: confidential, client_credentials and password, scope resourceA.
pub(crate) const CLIENT_1: (&str, &str) = ("client_1", "another password");
pub(crate) const REDIRECT_URI: &str = "https://example.com/cb";

/// A fixed key set (RS256 and ES256, test-only): generating an RSA key in
/// every test process would make each test a second slower.
fn keys() -> KeySet {
    KeySet::from_private_jwks(include_str!("test_support/keys.json")).unwrap()
}

/// The built-in configuration.
pub(crate) fn config() -> Config {
    Config::default_config().unwrap()
}

/// Adds a client, given as a `[[clients]]` table's body.
pub(crate) fn add_client(config: &mut Config, toml_body: &str) {
    let file: ClientFileConfig = toml::from_str(toml_body).unwrap();
    let client =
        crate::config::validate_client(file, &config.audience, config.access_token_lifetime)
            .unwrap();
    config
        .clients
        .insert(client.client_id.clone(), Arc::new(client));
}

/// A public code client with PKCE, `public`.
pub(crate) fn with_public_client(mut config: Config) -> Config {
    add_client(
        &mut config,
        r#"
client_id = "public"
token_endpoint_auth_methods = ["none"]
grant_types = ["authorization_code", "refresh_token"]
response_types = ["code"]
redirect_uris = ["https://public.example.org/cb"]
scopes = ["openid", "foobar"]
"#,
    );
    config
}

pub(crate) fn server() -> Arc<AuthServer> {
    server_with(config()).0
}

/// A server on `config`, with the clock it reads.
pub(crate) fn server_with(config: Config) -> (Arc<AuthServer>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW));
    let server =
        AuthServer::build(config, keys(), Arc::new(MemoryStore::new()), clock.clone()).unwrap();
    (server, clock)
}

pub(crate) fn url(server: &AuthServer, endpoint: Endpoint) -> String {
    server.config.endpoints.url(endpoint).to_string()
}

pub(crate) fn encode(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A form POST, with extra headers.
pub(crate) fn post_with(url: &str, headers: &[(&str, &str)], form: &[(&str, &str)]) -> HttpRequest {
    let mut all = vec![("Content-Type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    HttpRequest::new("POST", url, all, encode(form)).unwrap()
}

pub(crate) fn post(url: &str, form: &[(&str, &str)]) -> HttpRequest {
    post_with(url, &[], form)
}

/// A form POST authenticated with client_secret_post.
pub(crate) fn post_as(url: &str, client: (&str, &str), form: &[(&str, &str)]) -> HttpRequest {
    let mut all = vec![("client_id", client.0), ("client_secret", client.1)];
    all.extend_from_slice(form);
    post(url, &all)
}

pub(crate) fn get(url: &str) -> HttpRequest {
    HttpRequest::new("GET", url, [], "").unwrap()
}

/// A GET with the parameters in the query.
pub(crate) fn get_query(url: &str, pairs: &[(&str, &str)]) -> HttpRequest {
    get(&format!("{url}?{}", encode(pairs)))
}

/// The Basic credentials of RFC 6749 §2.3.1: each part form-encoded.
pub(crate) fn basic(client: (&str, &str)) -> String {
    let part = |s: &str| encode(&[("x", s)])["x=".len()..].to_owned();
    let raw = format!("{}:{}", part(client.0), part(client.1));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

pub(crate) fn json(response: &HttpResponse) -> Value {
    serde_json::from_str(&response.body).unwrap()
}

/// The OAuth error code of a refusal.
pub(crate) fn error(response: &HttpResponse) -> String {
    json(response)["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The parameters of a redirect, from its query or its fragment.
pub(crate) fn redirect_params(response: &HttpResponse) -> Vec<(String, String)> {
    let location = url::Url::parse(response.location.as_deref().unwrap()).unwrap();
    let text = location
        .fragment()
        .map(str::to_owned)
        .or_else(|| location.query().map(str::to_owned))
        .unwrap_or_default();
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

pub(crate) fn redirect_param(response: &HttpResponse, name: &str) -> Option<String> {
    redirect_params(response)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A code for `client`, from the authorization endpoint.
pub(crate) async fn authorize(server: &AuthServer, scope: &str) -> String {
    let request = get_query(
        &url(server, Endpoint::Authorization),
        &[
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("scope", scope),
            ("state", "xyz"),
        ],
    );
    let response = crate::endpoint::authorization::handle(server, &request).await;
    assert_eq!(response.status, 302, "{}", response.body);
    redirect_param(&response, "code").unwrap()
}

/// The request redeeming `code` for `client`.
pub(crate) fn redeem(server: &AuthServer, code: &str) -> HttpRequest {
    post_as(
        &url(server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
}

/// The token response of a code flow for `client`.
pub(crate) async fn code_flow(server: &AuthServer, scope: &str) -> Value {
    let code = authorize(server, scope).await;
    let response = crate::endpoint::token::handle(server, &redeem(server, &code)).await;
    assert_eq!(response.status, 200, "{}", response.body);
    json(&response)
}

/// An access token of `client_1`, by client credentials.
pub(crate) async fn client_credentials_token(server: &AuthServer) -> String {
    let request = post_as(
        &url(server, Endpoint::Token),
        CLIENT_1,
        &[("grant_type", "client_credentials")],
    );
    let response = crate::endpoint::token::handle(server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    json(&response)["access_token"].as_str().unwrap().to_owned()
}

/// A device authorization for `client` (RFC 8628 §3.2): the JSON answer.
pub(crate) async fn device_authorize(server: &AuthServer, scope: &str) -> Value {
    let request = post_as(
        &url(server, Endpoint::DeviceAuthorization),
        CODE_CLIENT,
        &[("scope", scope)],
    );
    let response = crate::endpoint::device_authorization::handle(server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    json(&response)
}

/// The user's browser at `verification_uri_complete` (RFC 8628 §3.3.1).
pub(crate) async fn enter_user_code(server: &AuthServer, user_code: &str) -> HttpResponse {
    let request = get_query(
        &url(server, Endpoint::DeviceVerification),
        &[("user_code", user_code)],
    );
    crate::endpoint::device_verification::handle(server, &request).await
}

/// `client`'s poll with `device_code` (RFC 8628 §3.4).
pub(crate) async fn poll_device(server: &AuthServer, device_code: &str) -> HttpResponse {
    let request = post_as(
        &url(server, Endpoint::Token),
        CODE_CLIENT,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
        ],
    );
    crate::endpoint::token::handle(server, &request).await
}

/// A response header, whatever its case.
pub(crate) fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What the server logs while a test runs, as text: `capture` sends this
/// thread's log events here until the guard is dropped.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

struct LogWriter(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    pub(crate) fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.0.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || LogWriter(sink.clone()))
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        // Tests run on threads of one process: a log line another test
        // reached first, with no subscriber of its own, is cached as never
        // wanted. Asking again makes this subscriber count.
        tracing::callsite::rebuild_interest_cache();
        guard
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
