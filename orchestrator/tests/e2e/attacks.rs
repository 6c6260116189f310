//! `run --attacks --issuer`: the attack stories against a server over
//! HTTP, as a provider's author runs them against theirs.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::common;

use common::*;
use orchestrator::catalog::{ATTACKS, Kind};
use serde_json::Value;

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
    // The story whose recommended defence was let through says so in its
    // result, never a plain "refused as expected".
    // (The row and the line below it: a long result wraps.)
    let row: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("attack_password_guessing "))
        .take(2)
        .flat_map(str::split_whitespace)
        .collect();
    let row = row.join(" ");
    assert!(row.contains("not refused where a"), "{row}");
    assert!(row.contains("SHOULD asks (1)"), "{row}");
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

/// The attacks where a second client redeems the first's code or
/// request_uri.
const SECOND_CLIENT_ATTACKS: [&str; 2] = ["attack_code_other_client", "attack_par_other_client"];

/// A `--client2` file naming our AS's second code client, one per test.
fn client2_file(test: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("client2-{test}-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "client_id = \"client_2\"\nclient_secret = \"a second code client\"\nredirect_uri = \"https://client2.example.org/cb\"\n",
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn with_client2_the_second_client_attacks_run_against_a_users_client_and_are_refused() {
    let issuer = as_over_http().await;
    let file = client2_file("refused");
    let out = orchestrator(user_client(
        &issuer,
        &SECOND_CLIENT_ATTACKS,
        &["--client2", file.to_str().unwrap()],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let summary = summary_of(&out);
    assert_eq!(out.status.code(), Some(0), "{summary}\n{stderr}");
    for attack in SECOND_CLIENT_ATTACKS {
        assert_eq!(
            results(&summary)[attack],
            "refused_as_expected",
            "{attack}: {summary}"
        );
    }
    let second = summary["second_client"].as_str().unwrap();
    assert!(
        second.contains("client_id client_2") && second.contains("(--client2)"),
        "{second}"
    );
    assert!(
        !second.contains("a second code client"),
        "the secret is never shown: {second}"
    );
    // Nothing was registered, so nothing is left behind.
    assert!(summary.get("left_registered").is_none(), "{summary}");
    // The token request of the attack is client_2's own.
    let stories = stories_of(out);
    let redeemed = stories
        .iter()
        .find(|s| s["story"] == "attack_code_other_client")
        .unwrap()["steps"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(redeemed["error"]["error"], "invalid_grant", "{redeemed}");
    assert_eq!(played_by(&stories, "attack_par_other_client"), "client_2");
    let _ = std::fs::remove_file(file);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_client2_the_run_registers_its_second_client_and_lists_what_it_cannot_delete() {
    let issuer = as_over_http().await;
    // oidc_code_dyn_reg registers a client of its own too.
    let mut stories = SECOND_CLIENT_ATTACKS.to_vec();
    stories.push("oidc_code_dyn_reg");
    let out = orchestrator(user_client(&issuer, &stories, &[])).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let summary = summary_of(&out);
    assert_eq!(out.status.code(), Some(0), "{summary}\n{stderr}");
    let results = results(&summary);
    for attack in SECOND_CLIENT_ATTACKS {
        assert_eq!(
            results[attack], "refused_as_expected",
            "{attack}: {summary}"
        );
    }
    assert_eq!(results["oidc_code_dyn_reg"], "passed", "{summary}");
    assert!(stderr.contains("registered a second client"), "{stderr}");
    let second = summary["second_client"].as_str().unwrap();
    assert!(second.contains("registered for this run"), "{second}");
    // Our AS offers no client management (RFC 7592): both clients, the
    // run's and the story's, are listed as left registered, and why.
    let left = summary["left_registered"].as_array().unwrap();
    assert_eq!(left.len(), 2, "{summary}");
    for client in left {
        let id = client["client_id"].as_str().unwrap();
        assert!(!id.is_empty() && id != "client" && id != "client_2", "{id}");
        assert_eq!(
            client["why"],
            "the provider offers no client management (RFC 7592)"
        );
        assert!(stderr.contains(id), "{stderr}");
    }
    let own = left[0]["client_id"].as_str().unwrap();
    assert!(
        second.contains(own),
        "the run's own client is listed first: {summary}"
    );
    // The client presenting the first's request_uri is the registered one.
    let stories = stories_of(out);
    assert_eq!(played_by(&stories, "attack_par_other_client"), own);
}

/// The client_id the last step of a story sent (the attacker's request).
fn played_by(stories: &[Value], story: &str) -> String {
    let last = stories.iter().find(|s| s["story"] == story).unwrap()["steps"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    last["request"]["params"]["client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{last}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_text_summary_ends_with_the_clients_left_registered() {
    let issuer = as_over_http().await;
    let mut run = user_client(&issuer, &["attack_code_other_client"], &[]);
    let at = run.iter().position(|a| a == "json").unwrap();
    run[at] = "text".into();
    let out = orchestrator(run).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("second client: client_id "), "{stdout}");
    // The last lines: the reason once, then the clients it kept.
    let left = &stdout[stdout.find("LEFT REGISTERED").unwrap()..];
    assert!(
        left.starts_with(
            "LEFT REGISTERED at the provider, not deleted: the provider offers no client management (RFC 7592):"
        ),
        "{left}"
    );
    assert!(left.lines().all(|l| l.chars().count() <= 100), "{left}");
}

#[tokio::test(flavor = "multi_thread")]
async fn client2_without_a_first_client_is_a_usage_error() {
    let file = client2_file("usage");
    let out = orchestrator(args(&[
        "run",
        "attack_code_other_client",
        "--issuer",
        "http://127.0.0.1:9",
        "--client2",
        file.to_str().unwrap(),
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--client-id"), "{stderr}");
    let _ = std::fs::remove_file(file);
}
