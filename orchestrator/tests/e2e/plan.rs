//! `run --plan`: a certification plan's stories from one command, and the
//! plan, module by module, in the summary of every format.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::{Command, Output};

use orchestrator::catalog;
use orchestrator::plan::OIDCC_BASIC;

fn orchestrator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .args(args)
        .env_remove("ORCHESTRATOR_AS")
        .env_remove("ORCHESTRATOR_RP")
        .output()
        .expect("run orchestrator")
}

/// The plan's modules whose story the catalog does not hold (yet).
fn gaps() -> Vec<&'static str> {
    OIDCC_BASIC
        .modules
        .iter()
        .filter(|m| catalog::find(m.story).is_none())
        .map(|m| m.name)
        .collect()
}

#[test]
fn the_basic_op_plan_runs_embedded_and_its_summary_has_a_row_per_module() {
    let out = orchestrator(&["run", "--plan", "oidcc-basic", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let gaps = gaps();
    // A story the plan names but the catalog lacks is an internal error,
    // said on stderr, and the run is not passed; the rest still run.
    assert_eq!(out.status.success(), gaps.is_empty(), "{stderr}");
    for module in &gaps {
        assert!(
            stderr.contains(&format!(
                "internal error: plan oidcc-basic, module {module}:"
            )),
            "{stderr}"
        );
    }
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, records) = lines.split_last().unwrap();
    let ran: Vec<&str> = records
        .iter()
        .map(|r| r["story"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = OIDCC_BASIC.stories().iter().map(|s| s.name).collect();
    assert_eq!(ran, expected, "each story once, in the modules' order");
    let summary = &summary["summary"];
    for story in summary["stories"].as_array().unwrap() {
        assert!(
            matches!(
                story["result"].as_str(),
                Some("passed" | "refused_as_expected")
            ),
            "{story}"
        );
    }
    let plan = &summary["plan"];
    assert_eq!(plan["name"], "oidcc-basic");
    assert_eq!(plan["title"], OIDCC_BASIC.title);
    let rows = plan["modules"].as_array().unwrap();
    assert_eq!(rows.len(), 33);
    for (row, module) in rows.iter().zip(OIDCC_BASIC.modules) {
        assert_eq!(row["module"], module.name);
        assert_eq!(row["story"], module.story);
        assert_eq!(row["clause"], module.clause);
        let result = row["result"].as_str().unwrap();
        if gaps.contains(&module.name) {
            assert_eq!(result, "not_in_catalog", "{row}");
        } else {
            let story = summary["stories"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["story"] == module.story)
                .unwrap();
            assert_eq!(story["result"], result, "{row}");
        }
    }
    // oidcc-server and oidcc-userinfo-get both run oidc_code.
    let outcome = |module: &str| {
        rows.iter()
            .find(|r| r["module"] == module)
            .map(|r| r["result"].clone())
            .unwrap()
    };
    assert_eq!(outcome("oidcc-server"), "passed");
    assert_eq!(outcome("oidcc-userinfo-get"), "passed");
    let counted: u64 = plan["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(counted, 33);
    assert_eq!(summary["ok"], gaps.is_empty());

    // A run that is no plan run has no plan in its summary.
    let out = orchestrator(&["run", "oauth2_cc", "--format", "json"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert!(last["summary"].get("plan").is_none());
}

#[test]
fn the_text_summary_shows_the_plan_block_within_100_columns() {
    let out = orchestrator(&["run", "--plan", "oidcc-basic"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let start = text.find("\nPLAN oidcc-basic: ").expect("a PLAN block") + 1;
    let block = &text[start..text[start..].find("\nSUMMARY\n").unwrap() + start];
    for line in block.lines() {
        assert!(line.chars().count() <= 100, "{line}");
    }
    for module in OIDCC_BASIC.modules {
        assert!(
            block
                .lines()
                .any(|l| l.split_whitespace().next() == Some(module.name)),
            "{}",
            module.name
        );
    }
    let counts = block.lines().last().unwrap();
    assert!(counts.starts_with("33 modules: "), "{counts}");

    // Markdown: a section of its own, before the summary.
    let out = orchestrator(&["run", "--plan", "oidcc-basic", "--format", "markdown"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let section =
        &text[text.find("\n## Plan oidcc-basic\n").unwrap()..text.find("\n## Summary\n").unwrap()];
    assert!(section.contains("| module | clause | story | outcome |"));
    assert!(
        section.contains("| `oidcc-server` | OIDC Core §3.1 | `oidc_code` | ✅ passed |"),
        "{section}"
    );
    assert!(section.contains("**33 modules: "), "{section}");
}

#[test]
fn list_plans_prints_each_module_with_its_story_and_clause() {
    let out = orchestrator(&["list", "--plans"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("oidcc-basic  "), "{head}");
    assert!(head.ends_with(OIDCC_BASIC.title), "{head}");
    assert_eq!(lines.next().unwrap().trim(), OIDCC_BASIC.source);
    for module in OIDCC_BASIC.modules {
        let line = lines.next().unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[..2], [module.name, module.story], "{line}");
        assert!(line.contains(module.clause), "{line}");
    }
}

#[test]
fn an_unknown_plan_or_a_plan_with_other_stories_is_a_usage_error() {
    let out = orchestrator(&["run", "--plan", "oidcc-basics"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unknown plan \"oidcc-basics\""), "{stderr}");
    assert!(stderr.contains("the plans: oidcc-basic"), "{stderr}");
    assert!(out.stdout.is_empty());

    for args in [
        &["run", "--plan", "oidcc-basic", "--all"][..],
        &["run", "--plan", "oidcc-basic", "--attacks"],
        &["run", "--plan", "oidcc-basic", "oauth2_cc"],
    ] {
        let out = orchestrator(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("cannot be used with"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
