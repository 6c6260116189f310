//! `--browser` driven by a real browser: every story against our own AS
//! over HTTP, each authorization URL (and the device's verification URI)
//! the orchestrator prints opened in headless Chromium, which follows the
//! AS's redirect to the orchestrator's loopback listener — running the
//! page that sends a fragment on, and submitting a form post page — as a
//! person's browser would. `.ci/run` runs it:
//! `cargo test -p orchestrator --test browser -- --include-ignored`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use as_service::AuthServer;
use as_service::config::Config;
use oauth_core::jose::KeySet;

fn chromium() -> &'static str {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok())
        .expect("Chromium on PATH")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Our AS over HTTP, every client's redirect URI the loopback `callback`,
/// `client`'s back-channel logout URI `backchannel`.
async fn as_for_a_browser(callback: &str, backchannel: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut config = Config::default_config().unwrap();
    config.set_issuer(&issuer).unwrap();
    for client in config.clients.values_mut() {
        let mut edited = (**client).clone();
        edited.redirect_uris = vec![callback.to_owned()];
        if edited.client_id == "client" {
            edited.backchannel_logout_uri = Some(backchannel.to_owned());
        }
        *client = Arc::new(edited);
    }
    let server = AuthServer::new(config, KeySet::generate().unwrap()).unwrap();
    tokio::spawn(as_service::http::serve(
        listener,
        server,
        std::future::pending(),
    ));
    issuer
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Chromium (chromium on PATH); run with --include-ignored, as .ci/run does"]
async fn every_story_passes_with_a_real_browser_doing_the_persons_part() {
    let browser = chromium();
    let callback = format!("http://127.0.0.1:{}/callback", free_port());
    let backchannel = format!("http://127.0.0.1:{}/backchannel", free_port());
    let issuer = as_for_a_browser(&callback, &backchannel).await;
    let profile = std::env::temp_dir().join(format!("oidc-story-browser-{}", std::process::id()));
    let out = tokio::task::spawn_blocking(move || {
        let mut run = Command::new(env!("CARGO_BIN_EXE_orchestrator"))
            .arg("run")
            // The usage stories (--all would add the attacks).
            .args(orchestrator::catalog::STORIES.iter().map(|s| s.name))
            .args(["--issuer", &issuer, "--browser"])
            .args([
                "--redirect-uri",
                &callback,
                "--backchannel-uri",
                &backchannel,
            ])
            .args(["--format", "json"])
            .env_remove("ORCHESTRATOR_AS")
            .env_remove("ORCHESTRATOR_RP")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The person: each URL the orchestrator hands over, opened.
        let stderr = BufReader::new(run.stderr.take().unwrap());
        let person = std::thread::spawn(move || {
            let mut opened = 0;
            for line in stderr.lines().map_while(Result::ok) {
                let Some(url) = line.strip_prefix("  http") else {
                    continue;
                };
                let status = Command::new(browser)
                    .args(["--headless=new", "--no-sandbox", "--disable-gpu"])
                    .arg(format!("--user-data-dir={}", profile.display()))
                    .args(["--virtual-time-budget=5000", "--dump-dom"])
                    .arg(format!("http{url}"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success(), "chromium on http{url}");
                opened += 1;
            }
            let _ = std::fs::remove_dir_all(&profile);
            opened
        });
        let output = run.wait_with_output().unwrap();
        (output, person.join().unwrap())
    })
    .await
    .unwrap();
    let (output, opened) = out;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // Every usage story; the one needing a user agent nobody is logged in
    // with is skipped under --browser.
    let usage = orchestrator::catalog::STORIES
        .iter()
        .filter(|s| s.kind() == orchestrator::catalog::Kind::Usage)
        .count();
    assert_eq!(
        summary["summary"]["totals"]["passed"], usage,
        "{}",
        summary["summary"]
    );
    assert_eq!(
        summary["summary"]["totals"]["skipped"], 1,
        "{}",
        summary["summary"]
    );
    assert_eq!(output.status.code(), Some(0));
    // Every authorization and the device's user step went through it.
    assert!(opened >= 20, "{opened} pages opened");
}
