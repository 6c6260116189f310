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
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_client_runs_the_attacks_as_written_and_our_as_refuses_them_all() {
    let issuer = as_over_http().await;
    let mut run = user_client(&issuer, &[], &[]);
    run.insert(1, "--attacks".to_owned());
    let out = orchestrator(run).await;
    let summary = summary_of(&out);
    assert_eq!(out.status.code(), Some(0), "{summary}");
    let results = results(&summary);
    // The attacks without client authentication send none, whatever
    // method the user's client registered: refused, not blamed as let
    // through.
    for attack in [
        "attack_introspection_without_auth",
        "attack_revocation_without_auth",
        "attack_code_replay",
        "attack_redirect_uri_swap",
        "attack_pkce_downgrade",
        "attack_refresh_reuse",
        "attack_logout_redirect_self_registered",
    ] {
        assert_eq!(
            results[attack], "refused_as_expected",
            "{attack}: {summary}"
        );
    }
    assert!(
        results
            .values()
            .all(|r| r != "not_refused" && r != "failed"),
        "{summary}"
    );
    assert!(
        summary["totals"]["refused_as_expected"].as_u64().unwrap() >= 40,
        "{summary}"
    );
}
