//! `run --attacks --issuer`: the attack stories against a server over
//! HTTP, as a provider's author runs them against theirs.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::*;
use orchestrator::catalog::{ATTACKS, Kind};

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
    // Each says whom it tests: the provider, or our client.
    for (story, attack) in summary["stories"].as_array().unwrap().iter().zip(ATTACKS) {
        let kind = match attack.kind() {
            Kind::Provider => "provider",
            Kind::Client => "client",
            Kind::Usage => "usage",
        };
        assert_eq!(story["kind"], kind, "{story}");
    }
}
