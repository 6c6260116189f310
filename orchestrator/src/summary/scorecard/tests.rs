use std::collections::BTreeMap;

use super::*;
use crate::record::{
    CheckRecord, ErrorRecord, Json, Level, NotRefused, RequestRecord, ResponseRecord, TamperRecord,
};

fn check(name: &str, reference: &str, level: Level, outcome: Outcome) -> CheckRecord {
    CheckRecord {
        id: String::new(),
        name: name.to_owned(),
        ok: matches!(outcome, Outcome::Passed | Outcome::Info),
        detail: String::new(),
        reference: reference.to_owned(),
        level,
        outcome,
    }
}

fn step(ok: bool, checks: Vec<CheckRecord>) -> StepRecord {
    StepRecord {
        elapsed: std::time::Duration::ZERO,
        service: "token".into(),
        endpoint: "Token".into(),
        request: RequestRecord {
            method: "POST".into(),
            url: "https://op.example/token".into(),
            headers: BTreeMap::new(),
            params: Json::text(""),
        },
        response: ResponseRecord {
            status: 200,
            headers: BTreeMap::new(),
            body: Json::text(""),
            location: None,
        },
        parsed: Json::text(""),
        checks,
        jwts: Vec::new(),
        error: None,
        expected_error: None,
        expected_refusal: None,
        tampered: None,
        login: Vec::new(),
        ok,
        warnings: 0,
        sent_again: false,
        prepared_by: None,
        parsed_by: String::new(),
    }
}

/// A story record of the catalog's story `name` that ran these steps.
fn ran(name: &str, steps: Vec<StepRecord>) -> StoryRecord {
    let mut record = StoryRecord::skipped(name, "");
    record.skipped = None;
    record.ok = steps.iter().all(|s| s.ok);
    record.warnings = steps
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| c.outcome == Outcome::Warning)
        .count();
    record.steps = steps;
    record
}

/// An attack on the provider it refused, as the verdict records it.
fn refused(name: &str) -> StoryRecord {
    let mut attack = step(
        true,
        vec![CheckRecord::verdict(
            crate::record::VERDICT,
            Level::Must,
            "the provider refuses the attack",
            true,
            "invalid_grant (status 400)".into(),
            &standard(name),
        )],
    );
    attack.error = Some(ErrorRecord {
        error: "invalid_grant".into(),
        error_description: String::new(),
    });
    ran(name, vec![step(true, Vec::new()), attack])
}

#[test]
fn a_usage_run_has_no_scorecard() {
    let records = [ran("oauth2_cc", vec![step(true, Vec::new())])];
    assert_eq!(Scorecard::of(&records), None);
}

/// The code replay let through: the provider answered the second
/// redemption with tokens.
fn replay_let_through() -> StoryRecord {
    let mut replay = ran(
        "attack_code_replay",
        vec![
            step(true, Vec::new()),
            step(
                false,
                vec![CheckRecord::verdict(
                    crate::record::VERDICT,
                    Level::Must,
                    "the provider refuses the attack",
                    false,
                    "accepted (status 200)".into(),
                    "RFC 6749 §4.1.2, §10.5",
                )],
            ),
        ],
    );
    replay.ending = Some(Ending::NotRefused(NotRefused {
        step: 2,
        service: "token".into(),
        sent: "POST https://op.example/token".into(),
        status: 200,
        expected: "a refusal (invalid_grant)".into(),
        clause: "RFC 6749 §4.1.2, §10.5".into(),
    }));
    replay
}

#[test]
fn an_attack_let_through_is_listed_under_its_clause_and_counted() {
    let records = [refused("attack_pkce_mismatch"), replay_let_through()];
    let card = Scorecard::of(&records).unwrap();
    assert_eq!(
        card.provider_attacks,
        ProviderAttacks {
            run: 2,
            refused: 1,
            not_refused: 1,
            ..ProviderAttacks::default()
        }
    );
    assert!(!card.clean());
    assert_eq!(
        card.clauses,
        vec![Clause {
            clause: "RFC 6749 §4.1.2, §10.5".into(),
            not_refused: vec!["attack_code_replay".into()],
            ..Clause::default()
        }],
        "the verdict that failed is the attack let through, not a MUST beside it"
    );
    let json = serde_json::to_value(&card).unwrap();
    assert_eq!(json["provider_attacks"]["not_refused"], 1);
    assert_eq!(json["clauses"][0]["not_refused"][0], "attack_code_replay");
}

#[test]
fn warned_shoulds_are_grouped_by_clause_and_an_accepted_should_attack_is_counted() {
    let scope = "RFC 6749 §3.3";
    let wide = |name: &str| {
        ran(
            name,
            vec![step(
                true,
                vec![
                    check(
                        "access token is a JWT",
                        "RFC 9068 §2",
                        Level::Must,
                        Outcome::Passed,
                    ),
                    check(
                        "granted scope is within the requested scope",
                        scope,
                        Level::Should,
                        Outcome::Warning,
                    ),
                ],
            )],
        )
    };
    // The family not revoked on reuse: a SHOULD the provider did not keep.
    let mut reuse = refused("attack_refresh_reuse");
    reuse.steps.push(step(
        true,
        vec![CheckRecord::verdict(
            crate::record::VERDICT,
            Level::Should,
            "the provider refuses the attack",
            false,
            "accepted (status 200)".into(),
            "RFC 9700 §4.14.2",
        )],
    ));
    let records = [wide("oauth2_cc"), wide("oauth2_ropc"), reuse];
    let card = Scorecard::of(&records).unwrap();
    assert_eq!(card.provider_attacks.run, 1);
    assert_eq!(card.provider_attacks.not_refused_should, 1);
    assert_eq!(card.provider_attacks.refused, 0);
    assert_eq!(card.clauses.len(), 2);
    assert_eq!(card.clauses[0].clause, scope);
    assert_eq!(
        card.clauses[0].shoulds_warned,
        vec![Broken {
            check: "granted scope is within the requested scope".into(),
            stories: vec!["oauth2_cc".into(), "oauth2_ropc".into()],
        }]
    );
    assert!(card.clauses[0].musts_broken.is_empty());
    assert_eq!(
        card.clauses[1].shoulds_warned[0].stories,
        vec!["attack_refresh_reuse"]
    );
}

#[test]
fn what_is_not_offered_is_grouped_by_reason_with_its_stories() {
    let records = [
        StoryRecord::skipped("oauth2_token_revocation", "no revocation_endpoint"),
        StoryRecord::skipped(
            "oauth2_device_code",
            "no device_authorization_endpoint (RFC 8628)",
        ),
        StoryRecord::skipped("attack_revocation_without_auth", "no revocation_endpoint"),
        refused("attack_code_replay"),
        StoryRecord::skipped(
            "attack_code_other_client",
            "a second client: --client2 FILE",
        ),
    ];
    let card = Scorecard::of(&records).unwrap();
    assert_eq!(
        card.not_offered,
        vec![
            NotOffered {
                why: "no revocation_endpoint".into(),
                stories: vec![
                    "oauth2_token_revocation".into(),
                    "attack_revocation_without_auth".into()
                ],
            },
            NotOffered {
                why: "no device_authorization_endpoint (RFC 8628)".into(),
                stories: vec!["oauth2_device_code".into()],
            },
        ]
    );
    assert_eq!(
        card.needs_option,
        vec![NotOffered {
            why: "a second client: --client2 FILE".into(),
            stories: vec!["attack_code_other_client".into()],
        }],
        "what the run was not given is apart from what the provider lacks"
    );
    assert_eq!(card.provider_attacks.skipped, 2);
    assert_eq!(card.provider_attacks.run, 1);
    assert_eq!(card.provider_attacks.refused, 1);
    assert!(card.clean(), "nothing the provider does is wrong");
    // A skip alone shows the scorecard, in a run without attacks.
    assert!(Scorecard::of(&records[..1]).is_some());
}

#[test]
fn a_server_refusing_the_legitimate_part_is_not_offered_and_the_attack_stopped() {
    let mut record = ran("attack_pkce_downgrade", vec![step(false, Vec::new())]);
    record.ok = false;
    record.ending = Some(Ending::RefusedByServer {
        step: 1,
        service: "authorization".into(),
        error: "unauthorized_client".into(),
        description: "not for you".into(),
        note: None,
    });
    let card = Scorecard::of(&[record]).unwrap();
    assert_eq!(card.provider_attacks.stopped, 1);
    assert_eq!(card.provider_attacks.run, 1);
    assert_eq!(
        card.not_offered[0].why,
        "the server refuses authorization by its policy: unauthorized_client"
    );
    assert!(card.clean());
}

#[test]
fn a_broken_must_comes_first_and_our_clients_failure_is_counted_apart() {
    let warned = ran(
        "oauth2_cc",
        vec![step(
            true,
            vec![check(
                "a SHOULD",
                "RFC 6749 §3.3",
                Level::Should,
                Outcome::Warning,
            )],
        )],
    );
    let broken = ran(
        "oauth2_code",
        vec![
            step(true, Vec::new()),
            step(
                false,
                vec![check(
                    "Cache-Control is no-store",
                    "RFC 6749 §5.1",
                    Level::Must,
                    Outcome::Failed,
                )],
            ),
        ],
    );
    // Our client took a forged ID token: its failure, not the provider's.
    let mut forged = step(
        false,
        vec![check(
            "ID token signature",
            "OIDC Core §3.1.3.7",
            Level::Must,
            Outcome::Passed,
        )],
    );
    forged.tampered = Some(TamperRecord {
        what: "HS256".into(),
        location: None,
        page: None,
    });
    forged.expected_refusal = Some("ID token signature".into());
    let hs256 = ran(
        "attack_id_token_hs256",
        vec![step(true, Vec::new()), forged],
    );
    let mut stopped = ran("attack_code_replay", vec![step(false, Vec::new())]);
    stopped.error = Some("step 1: server_error".into());
    let card = Scorecard::of(&[warned, broken, hs256, stopped]).unwrap();
    assert_eq!(
        card.client_defences,
        ClientDefences {
            run: 1,
            failed: 1,
            failed_stories: vec!["attack_id_token_hs256".into()],
            ..ClientDefences::default()
        }
    );
    assert_eq!(card.provider_attacks.stopped, 1);
    let clauses: Vec<&str> = card.clauses.iter().map(|c| c.clause.as_str()).collect();
    assert_eq!(
        clauses,
        ["RFC 6749 §5.1", "RFC 6749 §4.1.2, §10.5", "RFC 6749 §3.3"],
        "what broke a MUST first"
    );
    assert_eq!(card.clauses[0].musts_broken[0].stories, vec!["oauth2_code"]);
    assert_eq!(
        card.clauses[1].failed,
        vec![Failure {
            story: "attack_code_replay".into(),
            why: "step 1: server_error".into(),
        }]
    );
}

#[test]
fn the_summary_opens_with_the_scorecard_in_text_markdown_and_json() {
    use crate::render::Style;
    use crate::summary::Summary;

    let warned = ran(
        "oauth2_cc",
        vec![step(
            true,
            vec![check(
                "granted scope is within the requested scope",
                "RFC 6749 §3.3",
                Level::Should,
                Outcome::Warning,
            )],
        )],
    );
    let records = [
        replay_let_through(),
        warned,
        StoryRecord::skipped("oauth2_token_revocation", "no revocation_endpoint"),
    ];
    let summary = Summary::new(&records, false);
    let text = summary.text(Style::default());
    let card = &text[..text.find("SUMMARY\n").unwrap()];
    assert_eq!(
        card,
        "PROVIDER SCORECARD\n\
attacks on the provider: 1 run: 0 refused, 1 NOT REFUSED\n\
RFC 6749 §4.1.2, §10.5\n\
\x20 NOT REFUSED: attack_code_replay\n\
RFC 6749 §3.3\n\
\x20 SHOULD not met: granted scope is within the requested scope (oauth2_cc)\n\
not offered by the provider:\n\
\x20 no revocation_endpoint: oauth2_token_revocation\n\n"
    );
    let markdown = summary.markdown();
    let (card, table) = markdown.split_once("\n## Summary\n").unwrap();
    assert!(card.starts_with("\n## Provider scorecard\n\n"), "{card}");
    assert!(
        card.contains("| RFC 6749 §4.1.2, §10.5 | ❌ NOT REFUSED | attack_code_replay |"),
        "{card}"
    );
    assert!(card.contains("| RFC 6749 §3.3 | ⚠️ SHOULD not met: granted scope is within the requested scope | oauth2_cc |"), "{card}");
    assert!(
        card.contains("- no revocation_endpoint: oauth2_token_revocation"),
        "{card}"
    );
    assert!(table.contains("| attack_code_replay | ❌ NOT REFUSED"));
    let json: serde_json::Value = serde_json::from_str(&summary.json()).unwrap();
    assert_eq!(
        json["summary"]["scorecard"]["clauses"][0]["not_refused"][0],
        "attack_code_replay"
    );
    assert_eq!(
        json["summary"]["totals"]["not_refused"], 1,
        "the rest as it was"
    );

    // Every attack refused: one line says so.
    let summary = Summary::new(&[refused("attack_code_replay")], false);
    let text = summary.text(Style::default());
    assert!(
        text.starts_with("PROVIDER SCORECARD\nattacks on the provider: 1 run: 1 refused\nevery attack refused; no MUST broken, no SHOULD warned\n\nSUMMARY\n"),
        "{text}"
    );
    assert!(
        summary.markdown().contains(
            "\n✅ Every attack refused; no MUST broken, no SHOULD warned\n\n## Summary\n"
        )
    );

    // A usage run: the summary as it was.
    let summary = Summary::new(&[ran("oauth2_cc", vec![step(true, Vec::new())])], false);
    assert!(summary.text(Style::default()).starts_with("SUMMARY\n"));
    assert!(summary.markdown().starts_with("\n## Summary\n"));
    let json: serde_json::Value = serde_json::from_str(&summary.json()).unwrap();
    assert!(json["summary"].get("scorecard").is_none());
}
