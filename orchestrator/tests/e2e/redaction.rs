//! `--redact` over every story and attack: no credential, code, token, state
//! or nonce value that a step carried survives anywhere in the redacted
//! record — not in a URL the attacker tampered with, a check's detail, an
//! error description or a header. Only the decoded JWT header and claims
//! stay, by design.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use orchestrator::catalog;
use orchestrator::embedded::Embedded;
use orchestrator::render::redact::{SECRET_NAMES, redact};
use orchestrator::runner::{Services, run_story};
use serde_json::Value;

/// Every value under a secret name anywhere in the serialised record, and
/// every such parameter of every URL in it.
fn secrets(name: &str, value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let name = name.to_ascii_lowercase();
            if name == "authorization" {
                // `Basic …`, `Bearer …`, `DPoP …`: the credential after the scheme.
                found.push(s.split_once(' ').map_or(s.as_str(), |(_, c)| c).to_owned());
            } else if name == "set-cookie" || name == "cookie" {
                // A session cookie's value stands for the login.
                for pair in s.split([';', '\n']) {
                    if let Some((_, v)) = pair.split_once('=') {
                        found.push(v.trim().to_owned());
                    }
                }
            } else if SECRET_NAMES.contains(&name.as_str()) {
                found.push(s.clone());
            }
            for part in s.split([' ', '"']) {
                if let Ok(url) = url::Url::parse(part) {
                    for raw in [url.query(), url.fragment()].into_iter().flatten() {
                        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
                            if SECRET_NAMES.contains(&k.as_ref()) {
                                found.push(v.into_owned());
                            }
                        }
                    }
                }
            }
        }
        Value::Object(map) => map.iter().for_each(|(k, v)| secrets(k, v, found)),
        Value::Array(items) => items.iter().for_each(|v| secrets(name, v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn redacted_records_carry_no_secret_value_anywhere() {
    let embedded = Embedded::start().await.unwrap();
    let services = Services::connect(&embedded.as_addr.to_string(), &embedded.rp_addr.to_string())
        .await
        .unwrap();
    let mut leaks = Vec::new();
    for story in catalog::all() {
        let record = run_story(&services, story).await;
        let mut found = Vec::new();
        secrets(
            "record",
            &serde_json::to_value(&record).unwrap(),
            &mut found,
        );
        found.retain(|s| s.len() >= 8 && s != "[redacted]");
        let mut redacted = record.clone();
        redact(&mut redacted);
        let mut shown = serde_json::to_value(&redacted).unwrap();
        // Decoded claims and headers are kept: they are what a JWT teaches.
        for step in shown["steps"].as_array_mut().unwrap() {
            for jwt in step["jwts"].as_array_mut().unwrap() {
                jwt.as_object_mut().unwrap().remove("claims");
                jwt.as_object_mut().unwrap().remove("header");
            }
        }
        let shown = shown.to_string();
        for secret in found {
            if shown.contains(&secret) {
                leaks.push(format!("{}: {secret}", story.name));
            }
        }
    }
    embedded.stop().await;
    assert!(
        leaks.is_empty(),
        "secrets left after --redact:\n{}",
        leaks.join("\n")
    );
}

/// A story's title and description are shown whatever `--redact` says:
/// no password or client secret of the built-in profiles may be in them.
#[test]
fn no_story_description_names_a_configured_secret() {
    let config = rp_service::config::Config::default_config().unwrap();
    let secrets: Vec<&str> = config
        .profiles
        .values()
        .flat_map(|p| [p.client_secret.as_ref(), p.password.as_ref()])
        .flatten()
        .map(oauth_core::secret::Secret::expose)
        .collect();
    assert!(secrets.contains(&"krall"), "the resource owner's password");
    for story in catalog::all() {
        for text in [story.title, story.summary] {
            for secret in &secrets {
                assert!(!text.contains(secret), "{}: {text}", story.name);
            }
        }
    }
}
