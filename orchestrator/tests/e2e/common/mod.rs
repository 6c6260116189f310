//! What the tests that run the orchestrator against a server over HTTP
//! share: our AS on an ephemeral loopback port, the orchestrator's binary,
//! and readers of its JSON Lines.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub use std::process::{Command, Output};

pub use as_service::AuthServer;
pub use as_service::config::Config;
pub use oauth_core::jose::KeySet;

/// The AS over HTTP on an ephemeral loopback port; its issuer.
pub async fn as_over_http() -> String {
    as_over_http_with(|_| {}).await
}

/// The same, its configuration changed by `edit` first.
pub async fn as_over_http_with(edit: impl FnOnce(&mut Config)) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    as_serving(listener, &issuer, edit);
    issuer
}

/// The AS over HTTP on `listener`, its issuer `issuer` (which may name
/// another address: a proxy in front of it), its configuration changed by
/// `edit` first.
pub fn as_serving(listener: tokio::net::TcpListener, issuer: &str, edit: impl FnOnce(&mut Config)) {
    let mut config = Config::default_config().unwrap();
    config.set_issuer(issuer).unwrap();
    edit(&mut config);
    let server = AuthServer::new(config, KeySet::generate().unwrap()).unwrap();
    tokio::spawn(as_service::http::serve(
        listener,
        server,
        std::future::pending(),
    ));
}

/// `edit`, applied to the configured client `client`.
pub fn with_client(config: &mut Config, edit: impl FnOnce(&mut as_service::config::Client)) {
    let mut client = (*config.clients["client"]).clone();
    edit(&mut client);
    config
        .clients
        .insert("client".to_owned(), std::sync::Arc::new(client));
}

pub async fn orchestrator(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_orchestrator"))
            .args(&args)
            .env_remove("ORCHESTRATOR_AS")
            .env_remove("ORCHESTRATOR_RP")
            .env_remove("ORCHESTRATOR_CLIENT_SECRET")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Our AS over HTTP whose client `client` registered `backchannel` as its
/// back-channel logout URI.
pub async fn as_posting_logouts_to(backchannel: &str) -> String {
    as_over_http_with(posting_logouts_to(backchannel)).await
}

/// The configuration change that registers `backchannel` as the client
/// `client`'s back-channel logout URI.
pub fn posting_logouts_to(backchannel: &str) -> impl FnOnce(&mut Config) + use<> {
    let uri = backchannel.to_owned();
    move |config| with_client(config, |client| client.backchannel_logout_uri = Some(uri))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `run STORIES` against `issuer` as the user's client `client`, in JSON,
/// with `extra` flags.
pub fn user_client(issuer: &str, stories: &[&str], extra: &[&str]) -> Vec<String> {
    let mut all = args(&["run"]);
    all.extend(args(stories));
    all.extend(args(&[
        "--issuer",
        issuer,
        "--client-id",
        "client",
        "--client-secret",
        "SUPERhemligtlösenord",
        "--redirect-uri",
        "https://example.com/cb",
        "--format",
        "json",
    ]));
    all.extend(args(extra));
    all
}

/// The story records of a JSON run that exited 0.
pub fn stories_of(out: Output) -> Vec<serde_json::Value> {
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l.get("story").is_some())
        .collect()
}

/// A story record's first step of `service`.
pub fn step<'a>(story: &'a serde_json::Value, service: &str) -> &'a serde_json::Value {
    story["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == service)
        .unwrap()
}

/// The summary object closing a JSON run.
pub fn summary_of(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(last).unwrap_or_else(|e| {
        panic!(
            "no summary ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })["summary"]
        .clone()
}

/// Each story's result word in a summary.
pub fn results(summary: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    summary["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["story"].as_str().unwrap().to_owned(),
                s["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
