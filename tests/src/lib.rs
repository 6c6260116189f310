//! Helpers for the end-to-end tests: real servers on 127.0.0.1 ephemeral
//! ports, clients connected to them, and request builders.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

use as_service::AuthServer;
use oauth_core::clock::ManualClock;
use oauth_core::jose::KeySet;
use rp_service::RelyingParty;

use oidc_story_proto::v1::authorization_server_client::AuthorizationServerClient;
use oidc_story_proto::v1::relying_party_client::RelyingPartyClient;
use oidc_story_proto::v1::{OAuthRequest, OAuthResponse};
pub use orchestrator::embedded::Embedded;
use tonic::transport::Channel;

pub use orchestrator::runner::Services;

/// An AS and an RP with the default configurations.
pub async fn start() -> Embedded {
    Embedded::start().await.expect("services start")
}

/// An AS with a configuration of the test's own (the RP uses the default).
pub async fn start_with_as_config(toml: &str) -> Embedded {
    let as_config = as_service::config::Config::from_toml(toml).expect("AS config");
    let server = AuthServer::new(as_config, KeySet::generate().expect("keys")).expect("AS");
    start_with(server).await
}

/// Both services, the AS reading a manual clock that the test moves
/// instead of sleeping.
pub async fn start_with_clock(clock: &ManualClock) -> Embedded {
    let as_config = as_service::config::Config::default_config().expect("AS config");
    let server = AuthServer::build(
        as_config,
        KeySet::generate().expect("keys"),
        Arc::new(as_service::store::MemoryStore::new()),
        Arc::new(clock.clone()),
    )
    .expect("AS");
    start_with(server).await
}

async fn start_with(server: Arc<AuthServer>) -> Embedded {
    let rp_config = rp_service::config::Config::default_config().expect("RP config");
    Embedded::start_with(server, RelyingParty::new(rp_config))
        .await
        .expect("services start")
}

pub async fn as_client(addr: SocketAddr) -> AuthorizationServerClient<Channel> {
    AuthorizationServerClient::connect(format!("http://{addr}"))
        .await
        .expect("connect AS")
}

pub async fn rp_client(addr: SocketAddr) -> RelyingPartyClient<Channel> {
    RelyingPartyClient::connect(format!("http://{addr}"))
        .await
        .expect("connect RP")
}

/// A POST to the token endpoint with a form body and the given headers.
pub fn token_request(body: &str, headers: &[(&str, &str)]) -> OAuthRequest {
    let mut map: BTreeMap<String, String> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.entry("Content-Type".into())
        .or_insert_with(|| "application/x-www-form-urlencoded".into());
    OAuthRequest {
        method: "POST".into(),
        url: "https://example.com/token".into(),
        headers: map,
        body: body.into(),
    }
}

/// `Authorization: Basic` for an id and secret, form-encoded first (RFC 6749 §2.3.1).
pub fn basic(id: &str, secret: &str) -> String {
    oauth_core::client_auth::basic_header(id, &oauth_core::secret::Secret::new(secret))
}

/// The JSON body of a response.
pub fn body(response: &OAuthResponse) -> serde_json::Value {
    serde_json::from_str(&response.body).expect("JSON body")
}

/// A plaintext channel to a loopback server.
pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("URL")
        .connect()
        .await
        .expect("connect")
}

/// A form POST to an AS endpoint URL.
pub fn form_post(url: &str, body: &str, headers: &[(&str, &str)]) -> OAuthRequest {
    let mut request = token_request(body, headers);
    request.url = url.into();
    request
}

/// A GET of the authorization endpoint with the given query.
pub fn authorization_request(query: &str) -> OAuthRequest {
    OAuthRequest {
        method: "GET".into(),
        url: format!("https://example.com/authorization?{query}"),
        headers: BTreeMap::new(),
        body: String::new(),
    }
}

/// The parameters of a redirect location: its query, or else its fragment.
pub fn redirect_params(response: &OAuthResponse) -> HashMap<String, String> {
    let url = url::Url::parse(&response.location).expect("a redirect location");
    let source = url.query().or(url.fragment()).unwrap_or("");
    url::form_urlencoded::parse(source.as_bytes())
        .into_owned()
        .collect()
}

/// Client `client` of the default configuration: its Basic header.
pub fn client_basic() -> String {
    basic("client", "SUPERhemligtlösenord")
}

/// Both services, the AS signing with the given private JWK set (so a test
/// can forge tokens with the OP's own keys).
pub async fn start_with_keys(private_jwks: &str) -> Embedded {
    let as_config = as_service::config::Config::default_config().expect("AS config");
    let keys = KeySet::from_private_jwks(private_jwks).expect("keys");
    start_with(AuthServer::new(as_config, keys).expect("AS")).await
}

/// The default configuration plus client "signer" (its public key
/// registered, ES256 request objects, private_key_jwt allowed) and the
/// public client "spa"; `extra` goes first (top-level settings).
pub fn config_with_signer(client_key: &KeySet, extra: &str) -> String {
    let (head, users) = as_service::config::DEFAULT_CONFIG
        .split_once("# The demo users: passwords and claims.")
        .unwrap();
    let jwks: toml::Value = toml::Value::try_from(client_key.public_jwks()).unwrap();
    format!(
        "{extra}\n{head}\n[[clients]]\nclient_id = \"signer\"\nclient_secret = \"signer secret\"\n\
token_endpoint_auth_methods = [\"client_secret_basic\", \"private_key_jwt\"]\n\
grant_types = [\"authorization_code\", \"refresh_token\"]\nresponse_types = [\"code\"]\n\
redirect_uris = [\"https://example.com/cb\"]\nscopes = [\"foobar\", \"openid\"]\n\
request_object_signing_alg = \"ES256\"\njwks = {jwks}\n\n\
[[clients]]\nclient_id = \"spa\"\ntoken_endpoint_auth_methods = [\"none\"]\n\
grant_types = [\"authorization_code\", \"refresh_token\"]\nresponse_types = [\"code\"]\n\
redirect_uris = [\"https://example.com/cb\"]\nscopes = [\"foobar\"]\n\n{users}"
    )
}

/// Both services, the AS with a configuration of the test's own and, when
/// given, a manual clock.
pub async fn start_with_config(config: &str, clock: Option<&ManualClock>) -> Embedded {
    let as_config = as_service::config::Config::from_toml(config).expect("config");
    let server = AuthServer::build(
        as_config,
        KeySet::generate().unwrap(),
        Arc::new(as_service::store::MemoryStore::new()),
        match clock {
            Some(c) => Arc::new(c.clone()),
            None => Arc::new(oauth_core::clock::SystemClock),
        },
    )
    .unwrap();
    start_with(server).await
}

/// The system clock's now.
pub fn now() -> i64 {
    oauth_core::clock::Clock::now(&oauth_core::clock::SystemClock)
}

/// The `error` member of a JSON error body ("" when there is none).
pub fn error(response: &OAuthResponse) -> String {
    serde_json::from_str::<serde_json::Value>(&response.body)
        .ok()
        .and_then(|b| b["error"].as_str().map(str::to_owned))
        .unwrap_or_default()
}
