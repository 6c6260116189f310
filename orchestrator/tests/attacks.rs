//! `run --attacks --issuer`: the attack stories against a server over
//! HTTP, as a provider's author runs them against theirs.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;
use orchestrator::catalog::{ATTACKS, Kind};
use serde_json::Value;

/// The summary object closing a JSON run.
fn summary_of(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str::<Value>(last).unwrap_or_else(|e| {
        panic!(
            "no summary ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })["summary"]
        .clone()
}

/// Each story's result word in a summary.
fn results(summary: &Value) -> std::collections::BTreeMap<String, String> {
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

#[tokio::test(flavor = "multi_thread")]
async fn every_provider_side_attack_runs_against_our_as_over_http_and_is_refused() {
    let backchannel = format!("http://127.0.0.1:{}/backchannel", free_port());
    let issuer = as_posting_logouts_to(&backchannel).await;
    let out = orchestrator(args(&[
        "run",
        "--attacks",
        "--issuer",
        &issuer,
        "--backchannel-uri",
        &backchannel,
        "--format",
        "json",
    ]))
    .await;
    let summary = summary_of(&out);
    assert_eq!(out.status.code(), Some(0), "{summary}");
    let results = results(&summary);
    let provider: Vec<_> = ATTACKS
        .iter()
        .filter(|a| a.kind() == Kind::Provider)
        .collect();
    assert!(
        provider.len() >= 30,
        "{} provider-side attacks",
        provider.len()
    );
    // Every attack runs, none skipped: the provider's and our client's.
    for attack in ATTACKS {
        assert_eq!(
            results[attack.name], "refused_as_expected",
            "{}: {summary}",
            attack.name
        );
    }
    assert_eq!(summary["totals"]["refused_as_expected"], ATTACKS.len());
    // The scorecard: every attack refused, nothing against any clause.
    let card = &summary["scorecard"];
    assert_eq!(card["provider_attacks"]["run"], provider.len(), "{card}");
    assert_eq!(
        card["provider_attacks"]["refused"],
        provider.len(),
        "{card}"
    );
    assert_eq!(
        card["client_defences"]["held"],
        ATTACKS.len() - provider.len(),
        "{card}"
    );
    assert_eq!(card["clauses"], serde_json::json!([]), "{card}");
}

/// Our AS made lenient: its FAPI 2.0 client no longer held to the profile,
/// refresh tokens not rotated, passwords guessed without a lock, and no
/// dynamic registration.
async fn lenient_as() -> String {
    as_over_http_with(|config| {
        let mut fapi = (*config.clients["client_fapi"]).clone();
        fapi.fapi2 = false;
        fapi.require_par = false;
        fapi.dpop_bound = false;
        config
            .clients
            .insert("client_fapi".to_owned(), std::sync::Arc::new(fapi));
        config.refresh_token_rotation = false;
        config.password_grant.max_failures_per_user = 1_000;
        config.password_grant.max_failures_per_client = 1_000;
        config.registration.enabled = false;
    })
    .await
}

/// The stories a scorecard lists under one clause, in one of its lists.
fn under(scorecard: &Value, clause: &str, list: &str) -> Vec<String> {
    scorecard["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["clause"] == clause)
        .flat_map(|c| c[list].as_array().unwrap().iter())
        .flat_map(|entry| match entry {
            Value::String(story) => vec![story.clone()],
            other => other["stories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lenient_providers_scorecard_names_what_it_let_through_by_clause() {
    let issuer = lenient_as().await;
    let out = orchestrator(args(&[
        "run",
        "--attacks",
        "--issuer",
        &issuer,
        "--format",
        "json",
    ]))
    .await;
    let summary = summary_of(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an attack let through fails the run"
    );
    let card = &summary["scorecard"];
    let provider = &card["provider_attacks"];
    assert!(provider["not_refused"].as_u64().unwrap() >= 1, "{card}");
    assert_eq!(provider["not_refused"], summary["totals"]["not_refused"]);
    assert!(
        provider["not_refused_should"].as_u64().unwrap() >= 1,
        "{card}"
    );
    let run = ["refused", "not_refused", "not_refused_should", "stopped"]
        .iter()
        .map(|k| provider[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(provider["run"], run, "{card}");
    assert_eq!(card["client_defences"]["failed"], 0, "{card}");
    assert!(
        under(
            card,
            "FAPI 2.0 Security Profile §5.3.2.2, RFC 9126 §6",
            "not_refused"
        )
        .contains(&"attack_fapi2_without_par".to_owned()),
        "{card}"
    );
    assert!(
        under(card, "RFC 6749 §4.3.2, RFC 9700 §2.4", "shoulds_warned")
            .contains(&"attack_password_guessing".to_owned()),
        "{card}"
    );
    // What breaks a MUST comes before what only warns.
    let clauses = card["clauses"].as_array().unwrap();
    let first_warning = clauses
        .iter()
        .position(|c| c["not_refused"].as_array().unwrap().is_empty())
        .unwrap();
    assert!(
        clauses[first_warning..]
            .iter()
            .all(|c| c["not_refused"].as_array().unwrap().is_empty()),
        "{card}"
    );
    let registration = card["not_offered"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["why"] == "no registration_endpoint (dynamic registration)")
        .unwrap_or_else(|| panic!("{card}"));
    assert!(registration["stories"].as_array().unwrap().len() > 3);
    // Without --backchannel-uri: the run's to mend, not the provider's.
    assert!(
        card["needs_option"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["why"].as_str().unwrap().contains("--backchannel-uri")),
        "{card}"
    );

    // As text, the scorecard opens the summary.
    let issuer = lenient_as().await;
    let out = orchestrator(args(&["run", "--attacks", "--issuer", &issuer])).await;
    let text = String::from_utf8_lossy(&out.stdout);
    let card = text.find("PROVIDER SCORECARD").unwrap();
    let table = text.find("\nSUMMARY\n").unwrap();
    assert!(card < table);
    let block = &text[card..table];
    assert!(
        block.contains("NOT REFUSED: attack_fapi2_without_par"),
        "{block}"
    );
    assert!(
        block
            .contains("SHOULD not met: the provider refuses the attack (attack_password_guessing)"),
        "{block}"
    );
    assert!(!block.contains("every attack refused"), "{block}");
}
