//! Check levels end to end: a failed SHOULD is a warning and the story
//! passes with it; a failed MUST fails the story; the run's summary in each
//! format, and `--strict`. The attacker between AS and RP makes the AS's
//! answer misbehave (orchestrator/src/attacker.rs).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use orchestrator::catalog::{Attack, Step, Story, Tamper};
use orchestrator::embedded::Embedded;
use orchestrator::render::{self, Style};
use orchestrator::runner::{self, Outcome, Services, StoryRecord};
use orchestrator::summary::{StoryResult, Summary};
use rp_service::service::registry::ClientService;

/// The AS grants more than asked: RFC 6749 §3.3 does not forbid it (it
/// MUST then name the scope, which it does), so the RP only warns.
static WIDER_SCOPE: Story = Story {
    name: "cc_wider_scope",
    title: "a token response granting more than asked",
    standard: "RFC 6749 §3.3",
    summary: "a SHOULD fails: the story passes with a warning",
    profile: "client_1",
    steps: &[
        Step {
            service: ClientService::Jwks,
            args: &[],
            expect_error: None,
            expect_refusal: None,
            tamper: None,
            attack: Attack::None,
        },
        Step {
            service: ClientService::ClientCredentials,
            args: &[("scope", "resourceA")],
            expect_error: None,
            expect_refusal: None,
            tamper: Some(Tamper::BodyMember("scope", "resourceA admin")),
            attack: Attack::None,
        },
    ],
};

/// The token response may be cached: RFC 6749 §5.1 says MUST no-store.
static CACHEABLE: Story = Story {
    name: "cc_cacheable",
    title: "a cacheable token response",
    standard: "RFC 6749 §5.1",
    summary: "a MUST fails: the story fails",
    profile: "client_1",
    steps: &[
        Step {
            service: ClientService::Jwks,
            args: &[],
            expect_error: None,
            expect_refusal: None,
            tamper: None,
            attack: Attack::None,
        },
        Step {
            service: ClientService::ClientCredentials,
            args: &[],
            expect_error: None,
            expect_refusal: None,
            tamper: Some(Tamper::Header("cache-control", "public, max-age=600")),
            attack: Attack::None,
        },
    ],
};

async fn run(stories: &[&Story]) -> Vec<StoryRecord> {
    let embedded = Embedded::start().await.unwrap();
    let services = Services::connect(&embedded.as_addr.to_string(), &embedded.rp_addr.to_string())
        .await
        .unwrap();
    let mut records = Vec::new();
    for story in stories {
        records.push(runner::run_story(&services, story).await);
    }
    embedded.stop().await;
    records
}

#[tokio::test]
async fn a_failed_should_is_a_warning_and_the_story_passes_with_it() {
    let records = run(&[&WIDER_SCOPE]).await;
    let record = &records[0];
    assert!(record.ok, "{:?}", record.error);
    assert_eq!(record.warnings, 1);
    let warned: Vec<_> = record.steps[1]
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Warning)
        .collect();
    assert_eq!(warned.len(), 1);
    assert_eq!(
        warned[0].name,
        "granted scope is within the requested scope"
    );

    let text = render::text::story(None, record, Style::default());
    assert!(text.contains("[warning] granted scope is within the requested scope"));
    assert!(text.contains("RESULT cc_wider_scope: passed with 1 warning"));
    assert!(!text.contains("FAILED"), "{text}");
    let markdown = render::markdown::story(None, record);
    assert!(markdown.contains("⚠️ passed with 1 warning"));
    assert!(
        markdown.contains("| ⚠️ warning | SHOULD | granted scope is within the requested scope")
    );
    let json: serde_json::Value = serde_json::from_str(&render::json::story(record)).unwrap();
    assert_eq!(json["warnings"], 1);
    assert!(
        json["steps"][1]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["level"] == "should" && c["outcome"] == "warning")
    );
}

#[tokio::test]
async fn a_failed_must_fails_the_story() {
    let records = run(&[&CACHEABLE]).await;
    let record = &records[0];
    assert!(!record.ok);
    let failed: Vec<_> = record.steps[1]
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Failed)
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].name, "Cache-Control is no-store");
    let text = render::text::story(None, record, Style::default());
    assert!(text.contains("[FAILED] Cache-Control is no-store"));
    assert!(text.contains("RESULT cc_cacheable: FAILED"));
}

#[tokio::test]
async fn the_summary_counts_warnings_and_failures_in_every_format() {
    let records = run(&[&WIDER_SCOPE, &CACHEABLE]).await;
    let summary = Summary::new(&records, false);
    assert!(!summary.ok, "a failed story fails the run");
    assert_eq!(
        summary.stories[0].result,
        StoryResult::PassedWithWarnings { warnings: 1 }
    );
    assert_eq!(
        summary.stories[1].result,
        StoryResult::Failed {
            step: 2,
            service: Some("client_credentials".into())
        }
    );
    assert_eq!(summary.totals.passed_with_warnings, 1);
    assert_eq!(summary.totals.failed, 1);
    assert_eq!(summary.totals.checks_warned, 1);
    assert_eq!(summary.totals.checks_failed, 1);

    let text = summary.text(Style::default());
    assert!(text.contains("cc_wider_scope"));
    assert!(text.contains("passed with 1 warning"));
    assert!(text.contains("FAILED at step 2 (client_credentials)"));
    assert!(text.contains("TOTAL 2 stories: 0 passed, 1 passed with warnings"));

    let json: serde_json::Value = serde_json::from_str(&summary.json()).unwrap();
    let s = &json["summary"];
    assert_eq!(s["ok"], false);
    assert_eq!(s["stories"][0]["result"], "passed_with_warnings");
    assert_eq!(s["stories"][0]["warnings"], 1);
    assert_eq!(s["stories"][1]["result"], "failed");
    assert_eq!(s["stories"][1]["step"], 2);
    assert_eq!(s["totals"]["checks_warned"], 1);

    let markdown = summary.markdown();
    assert!(markdown.contains("## Summary"));
    assert!(markdown.contains("| cc_wider_scope | ⚠️ passed with 1 warning |"));
    assert!(markdown.contains("❌ FAILED at step 2 (client_credentials)"));
}

#[tokio::test]
async fn strict_makes_warnings_fail_the_run() {
    let records = run(&[&WIDER_SCOPE]).await;
    assert!(Summary::new(&records, false).ok, "warnings are allowed");
    let strict = Summary::new(&records, true);
    assert!(!strict.ok, "--strict: a warning fails the run");
    assert!(strict.text(Style::default()).contains("--strict"));
}
