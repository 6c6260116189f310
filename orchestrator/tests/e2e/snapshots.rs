//! Snapshot tests of every story in every format: any change to what a
//! transcript shows appears as a diff to review. Volatile values (JWTs,
//! random codes, states, nonces, key ids and key material, times) are
//! normalised first. `UPDATE_SNAPSHOTS=1 cargo test -p orchestrator --test
//! e2e snapshots::` rewrites the files after a deliberate change.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use orchestrator::catalog::STORIES;
use orchestrator::embedded::InProcess;
use orchestrator::render::{self, Style};
use orchestrator::runner::run_story;
use regex::Regex;

/// Words (a CamelCase name, header names, specification pages, the AS's
/// session cookie) that are not random, though they look long enough to be.
const WORDS: [&str; 6] = [
    "InternetProtocolPassword",
    "__Host-oidc-story-session",
    "content-security-policy",
    "x-content-type-options",
    "oauth-v2-form-post-response-mode-1_0",
    "oauth-v2-multiple-response-types-1_0",
];

fn normalize(text: &str) -> String {
    let jwt = Regex::new(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*").unwrap();
    let basic = Regex::new(r"Basic [A-Za-z0-9+/=]+").unwrap();
    let time = Regex::new(r"\b1[6-9][0-9]{8}\b").unwrap();
    let date =
        Regex::new(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC\b").unwrap();
    let seconds = Regex::new(r"(expires in|issued|try again in|valid only in) -?[0-9]+ s").unwrap();
    // How long a throttle still holds: a second off whenever a run straddles one.
    let retry_after = Regex::new(r"(retry-after\W+)[0-9]+").unwrap();
    let random = Regex::new(r"[A-Za-z0-9_-]{22,}").unwrap();
    // A user code (RFC 8628 §6.1), other than the attack stories' fixed guess.
    let user_code = Regex::new(r"\b[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}\b").unwrap();
    let text = jwt.replace_all(text, "<jwt>");
    let text = basic.replace_all(&text, "Basic <credentials>");
    let text = time.replace_all(&text, "<time>");
    let text = date.replace_all(&text, "<date>");
    let text = seconds.replace_all(&text, "$1 <n> s");
    let text = retry_after.replace_all(&text, "${1}<n>");
    let text = user_code.replace_all(&text, |c: &regex::Captures<'_>| match &c[0] {
        "BCDF-GHJK" => c[0].to_owned(),
        _ => "<user_code>".to_owned(),
    });
    random
        .replace_all(&text, |c: &regex::Captures<'_>| {
            let m = &c[0];
            let identifier = m.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_');
            if identifier || WORDS.contains(&m) {
                m.to_owned()
            } else {
                "<random>".to_owned()
            }
        })
        .into_owned()
}

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("snapshots")
}

#[tokio::test]
async fn every_transcript_matches_its_snapshot() {
    // In-process, as `orchestrator run` serves them: the transcripts are
    // the same over TCP (tests/tests/stories.rs runs every story there).
    let services = InProcess::start().await.unwrap();
    let clients = services.services().await.unwrap();
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let dir = snapshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut mismatches = Vec::new();
    // Every story, the slow ones too (half a minute, once).
    for story in orchestrator::catalog::every() {
        let record = run_story(&clients, story).await;
        assert!(record.ok, "{}: {:?}", story.name, record.error);
        let attack = story.name.starts_with("attack_");
        let mut redacted = record.clone();
        render::redact::redact(&mut redacted);
        let outputs = [
            (
                "txt",
                render::text::story(Some(story), &record, Style::default()),
            ),
            ("md", render::markdown::story(Some(story), &record)),
            ("json", format!("{}\n", render::json::story(&record))),
            (
                "redacted.txt",
                render::text::story(Some(story), &redacted, Style::default()),
            ),
        ];
        for (ext, output) in outputs {
            if attack && (ext == "json" || ext == "redacted.txt") {
                continue;
            }
            let path = dir.join(format!("{}.{ext}", story.name));
            let got = normalize(&output);
            if update {
                std::fs::write(&path, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            if want != got {
                mismatches.push(path.display().to_string());
                std::fs::write(path.with_extension(format!("{ext}.new")), &got).unwrap();
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "transcripts changed (see the .new files beside them; UPDATE_SNAPSHOTS=1 accepts):\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn normalisation_hides_volatile_values_and_keeps_identifiers() {
    let text = "code=vqUkTlaBRlQMLJkNv40wUfrlXUEOajZZEytmdu7upDc iat 1795814150 expires in 599 s \
token_endpoint_auth_methods_supported eyJhbGc.eyJzdWIi.sig InternetProtocolPassword";
    assert_eq!(
        normalize(text),
        "code=<random> iat <time> expires in <n> s token_endpoint_auth_methods_supported <jwt> InternetProtocolPassword"
    );
}

#[test]
fn redacted_transcripts_keep_claims_but_no_token_or_secret() {
    let dir = snapshot_dir();
    for story in STORIES {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{}.redacted.txt", story.name)))
        else {
            continue;
        };
        assert!(
            !text.contains("<jwt>"),
            "{}: a token survived redaction",
            story.name
        );
        assert!(!text.contains("another password"), "{}", story.name);
        assert!(!text.contains("SUPERhemligt"), "{}", story.name);
        assert!(!text.contains("every claims scope"), "{}", story.name);
    }
}
