//! What a newcomer ran into on the command line, each kept fixed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::{Command, Output};

use orchestrator::embedded::Embedded;

fn orchestrator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .args(args)
        .env_remove("ORCHESTRATOR_AS")
        .env_remove("ORCHESTRATOR_RP")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("newcomer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn swapped_addresses_say_what_answered_and_exit_2() {
    let services = Embedded::start().await.unwrap();
    let (as_addr, rp_addr) = (services.as_addr.to_string(), services.rp_addr.to_string());
    let out = tokio::task::spawn_blocking(move || {
        orchestrator(&["run", "oauth2_cc", "--as", &rp_addr, "--rp", &as_addr])
    })
    .await
    .unwrap();
    services.stop().await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("serves oidcstory.v1.RelyingParty, not the AuthorizationServer"),
        "{message}"
    );
}

#[test]
fn an_unreachable_service_names_its_cause_once() {
    let out = orchestrator(&[
        "run",
        "oauth2_cc",
        "--as",
        "127.0.0.1:9",
        "--rp",
        "127.0.0.1:9",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("cannot reach the AS"), "{message}");
    assert!(
        message.matches("tcp connect error").count() <= 1,
        "{message}"
    );
}

#[test]
fn a_mistyped_story_gets_a_suggestion() {
    let out = orchestrator(&["run", "oauth2_ccc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean oauth2_cc?"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn out_counts_in_english_and_refuses_a_directory_of_other_files() {
    let dir = scratch("out");
    let out = orchestrator(&["run", "oauth2_cc", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wrote 1 transcript and an index"),
        "{}",
        stderr(&out)
    );
    // A second run into the same report replaces it: no stale transcript.
    let out = orchestrator(&["run", "oauth2_ropc", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !dir.join("oauth2_cc.txt").exists(),
        "a stale transcript stayed"
    );
    assert!(dir.join("oauth2_ropc.txt").exists());
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = orchestrator(&["run", "oauth2_cc", "--out", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(dir.join("notes.txt").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_reports_write_a_json_index() {
    let dir = scratch("json");
    let out = orchestrator(&[
        "run",
        "oauth2_cc",
        "--format",
        "json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.join("index.txt").exists());
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["stories"][0]["story"], "oauth2_cc");
    assert_eq!(index["stories"][0]["file"], "oauth2_cc.json");
    assert_eq!(index["summary"]["totals"]["stories"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn html_needs_a_directory() {
    let out = orchestrator(&["run", "oauth2_cc", "--format", "html"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--out DIR"), "{}", stderr(&out));
}

#[test]
fn help_names_the_text_format_for_what_it_is() {
    let out = orchestrator(&["run", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(!help.contains("seed"), "{help}");
    assert!(help.contains("Plain text, step by step"), "{help}");
}

/// An HTTP/1.1 server on a loopback port, answering 404 to anything.
async fn http_only_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let app = axum::Router::new();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_port_given_as_the_as_is_one_usage_error() {
    let services = Embedded::start().await.unwrap();
    let rp_addr = services.rp_addr.to_string();
    let http = http_only_server().await;
    let out = tokio::task::spawn_blocking(move || {
        orchestrator(&["run", "--all", "--as", &http, "--rp", &rp_addr])
    })
    .await
    .unwrap();
    services.stop().await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let message = stderr(&out);
    assert!(message.contains("does not answer in gRPC"), "{message}");
    assert!(message.contains("--issuer"), "{message}");
    assert_eq!(
        message.lines().count(),
        1,
        "one line, not one per story: {message}"
    );
    assert!(out.stdout.is_empty(), "no story ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_as_http_port_given_as_the_as_is_one_usage_error() {
    let services = Embedded::start().await.unwrap();
    let rp_addr = services.rp_addr.to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap().to_string();
    let mut config = as_service::config::Config::default_config().unwrap();
    config.set_issuer(&format!("http://{http}")).unwrap();
    let server =
        as_service::AuthServer::new(config, oauth_core::jose::KeySet::generate().unwrap()).unwrap();
    tokio::spawn(as_service::http::serve(
        listener,
        server,
        std::future::pending(),
    ));
    let out = tokio::task::spawn_blocking(move || {
        orchestrator(&["run", "oauth2_cc", "--as", &http, "--rp", &rp_addr])
    })
    .await
    .unwrap();
    services.stop().await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("does not answer in gRPC"),
        "{}",
        stderr(&out)
    );
}
