//! No secret and no token value ever reaches a log line: every story and
//! attack runs with the services logging at TRACE, and every credential,
//! code and token the transcripts show is then looked for in the logs.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use e2e_tests::{Services, start};
use serde_json::Value;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Values under these names are credentials or bearer tokens.
const SECRET_NAMES: [&str; 12] = [
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "client_secret",
    "password",
    "subject_token",
    "client_assertion",
    "request",
    "code_verifier",
    "token",
    "dpop",
];

fn collect(value: &Value, name: &str, out: &mut Vec<String>) {
    match value {
        Value::String(s) if SECRET_NAMES.contains(&name) && s.len() >= 8 => out.push(s.clone()),
        Value::Object(map) => map.iter().for_each(|(k, v)| collect(v, k, out)),
        Value::Array(items) => items.iter().for_each(|v| collect(v, name, out)),
        _ => {}
    }
}

#[tokio::test]
async fn no_secret_or_token_reaches_the_logs() {
    let logs = Captured::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();
    let services = start().await;
    let clients = Services::connect(&services.as_addr.to_string(), &services.rp_addr.to_string())
        .await
        .unwrap();
    let mut secrets: Vec<String> = vec![
        "another password".into(),
        "SUPERhemligtlösenord".into(),
        "krall".into(),
    ];
    for story in orchestrator::catalog::all() {
        let record = orchestrator::runner::run_story(&clients, story).await;
        assert!(record.ok, "{}", story.name);
        let json = serde_json::to_value(&record).unwrap();
        collect(&json, "", &mut secrets);
        for step in &record.steps {
            for (name, value) in &step.request.headers {
                if name == "authorization" || name == "dpop" {
                    secrets.push(value.split(' ').next_back().unwrap_or("").to_owned());
                }
            }
        }
    }
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("issued an access token"),
        "the services did log"
    );
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() > 100, "{} secrets collected", secrets.len());
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
    assert!(!text.contains("eyJ"), "no JWT in the logs");
}
