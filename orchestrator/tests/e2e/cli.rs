//! The orchestrator binary as a user runs it.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

fn orchestrator(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .args(args)
        .env_remove("ORCHESTRATOR_AS")
        .env_remove("ORCHESTRATOR_RP")
        .output()
        .expect("run orchestrator")
}

#[test]
fn list_prints_every_story_name() {
    let out = orchestrator(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for story in orchestrator::catalog::STORIES {
        assert!(
            text.lines().any(|l| l.starts_with(story.name)),
            "{}",
            story.name
        );
    }
}

#[test]
fn list_explain_and_transcripts_say_who_must_refuse_an_attack() {
    let list = String::from_utf8(orchestrator(&["list"]).stdout).unwrap();
    let line = |name: &str| {
        list.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap()
            .to_owned()
    };
    assert!(line("attack_code_replay").contains("[the provider must refuse]"));
    assert!(line("attack_id_token_hs256").contains("[our client must refuse]"));
    assert!(!line("oauth2_cc").contains("must refuse"));
    for attack in orchestrator::catalog::ATTACKS {
        assert!(
            line(attack.name).contains(" must refuse]: "),
            "{}",
            attack.name
        );
    }
    let explained = orchestrator(&["explain", "attack_code_replay"]);
    let text = String::from_utf8(explained.stdout).unwrap();
    assert!(
        text.contains("\nAttack: the provider must refuse"),
        "{text}"
    );

    let out = orchestrator(&["run", "attack_id_token_hs256"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let header = &text[..text.find("\n=====").unwrap()];
    assert!(
        header.ends_with("\nATTACK: our client must refuse\n"),
        "{header}"
    );
    let out = orchestrator(&[
        "run",
        "attack_id_token_hs256",
        "oauth2_cc",
        "--format",
        "json",
    ]);
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["kind"], "client");
    assert_eq!(records[1]["kind"], "usage");
}

#[test]
fn run_json_reports_ok_for_cc_and_ropc_with_an_es256_access_token() {
    let out = orchestrator(&["run", "oauth2_cc", "oauth2_ropc", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "two stories, then the summary");
    assert!(lines[2].get("summary").is_some());
    for (line, name) in lines.iter().zip(["oauth2_cc", "oauth2_ropc"]) {
        assert_eq!(line["story"], name);
        assert_eq!(line["ok"], true);
        let token_step = line["steps"].as_array().unwrap().last().unwrap();
        assert_eq!(token_step["endpoint"], "Token");
        for key in ["service", "request", "response", "parsed", "checks"] {
            assert!(token_step.get(key).is_some(), "{key} missing");
        }
        assert_eq!(token_step["jwts"][0]["header"]["alg"], "ES256");
        assert_eq!(token_step["jwts"][0]["verified"], true);
        assert!(
            token_step["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["ok"] == true)
        );
    }
}

#[test]
fn run_text_prints_the_seed_shape() {
    let out = orchestrator(&["run", "oauth2_cc"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for marker in [
        "============================== client_credentials ==============================",
        "-- REQUEST --",
        "    METHOD: POST",
        "    URL: https://example.com/token",
        "-- RESPONSE --",
        "[passed] access token signature verifies",
        "RESULT oauth2_cc: passed",
    ] {
        assert!(text.contains(marker), "{marker:?} missing from\n{text}");
    }
}

#[test]
fn an_unknown_story_is_a_clear_error() {
    let out = orchestrator(&["run", "oauth2_teleport"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown story \"oauth2_teleport\""), "{err}");
}

#[test]
fn an_unreachable_service_is_a_clear_error() {
    // Bind and drop, so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let out = orchestrator(&["run", "--all", "--as", &addr, "--rp", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot reach the AS"), "{err}");
}

#[test]
fn nothing_to_run_is_a_clear_error() {
    let out = orchestrator(&["run"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("--all"));
}

#[test]
fn markdown_has_a_sequence_diagram_and_checks_citing_their_sections() {
    let out = orchestrator(&["run", "oauth2_add_on_dpop", "--format", "markdown"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("```mermaid\nsequenceDiagram"));
    // In protocol terms: the client and the server, no gRPC hops.
    assert!(
        text.contains("C->>S: Token: POST /token (grant_type=authorization_code, + DPoP proof)")
    );
    assert!(!text.contains("PrepareRequest"));
    assert!(text.contains("| ✅ | MUST | the access token is bound to our DPoP key (cnf.jkt) |"));
    assert!(text.contains("## Summary"));
    assert!(
        text.contains("[RFC 9449 §6.1](https://www.rfc-editor.org/rfc/rfc9449.html#section-6.1)")
    );
    let wire = orchestrator(&[
        "run",
        "oauth2_add_on_dpop",
        "--format",
        "markdown",
        "--diagram",
        "wire",
    ]);
    let wire = String::from_utf8(wire.stdout).unwrap();
    assert!(
        wire.contains("O->>RP: Advance(parse authorization, prepare accesstoken)"),
        "{wire}"
    );
}

#[test]
fn out_writes_one_file_per_story_and_an_index() {
    let dir = std::env::temp_dir().join(format!("transcripts-{}", std::process::id()));
    let out = orchestrator(&[
        "run",
        "oauth2_cc",
        "oidc_code",
        "--format",
        "markdown",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = std::fs::read_to_string(dir.join("index.md")).unwrap();
    assert!(index.contains("[oauth2_cc](oauth2_cc.md)"));
    assert!(index.contains("[oidc_code](oidc_code.md)"));
    assert!(
        std::fs::read_to_string(dir.join("oidc_code.md"))
            .unwrap()
            .contains("# oidc_code")
    );
    assert!(out.stdout.is_empty(), "nothing printed when writing files");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn explain_describes_a_story_from_the_catalog() {
    let out = orchestrator(&["explain", "oauth2_add_on_pkce"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "RFC 7636",
        "authorization -> AS Authorization",
        "[pkce=S256]",
        "client_id: client",
        "issuer: https://example.com/",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    let out = orchestrator(&["explain", "nope"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn step_mode_is_ignored_with_a_note_when_not_on_a_terminal() {
    let out = orchestrator(&["run", "oauth2_cc", "--step"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("--step ignored")
    );
}

#[test]
fn piped_text_has_no_colour_and_redact_hides_secrets() {
    let out = orchestrator(&["run", "oauth2_ropc", "--redact"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no escape codes when piped");
    assert!(
        !text.contains("\"password\": \"krall\""),
        "the password is masked"
    );
    assert!(text.contains("\"password\": \"[redacted]\""));
    assert!(
        !text.contains("another password"),
        "the client secret is masked"
    );
    assert!(text.contains("\"sub\": \"diana\""), "decoded claims stay");
}

#[test]
fn run_ends_with_a_summary_in_text_and_json() {
    let out = orchestrator(&["run", "oauth2_cc", "attack_state_mismatch"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let summary = &text[text.find("SUMMARY").expect("a summary")..];
    assert!(summary.contains("oauth2_cc"));
    assert!(summary.contains("refused as expected"));
    assert!(summary.contains("TOTAL 2 stories: 1 passed"));
    // The defence that held is no failure.
    assert!(!text.contains("FAILED"), "{text}");
    assert!(text.contains("[defence held] refused: state is the one sent"));

    let out = orchestrator(&["run", "oauth2_cc", "--format", "json", "--strict"]);
    assert!(out.status.success(), "no warning: --strict passes");
    let text = String::from_utf8(out.stdout).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["ok"], true);
    assert_eq!(last["summary"]["strict"], true);
    assert_eq!(last["summary"]["stories"][0]["result"], "passed");
}

#[test]
fn markdown_index_has_a_summary_section() {
    let dir = std::env::temp_dir().join(format!("oidc-story-md-{}", std::process::id()));
    let out = orchestrator(&[
        "run",
        "oauth2_cc",
        "--format",
        "markdown",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let index = std::fs::read_to_string(dir.join("index.md")).unwrap();
    assert!(index.contains("## Summary"));
    assert!(index.contains("| oauth2_cc | ✅ passed |"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_with_nothing_to_load_names_what_bench_takes() {
    let out = orchestrator(&["bench"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--token-endpoint"), "{stderr}");
    assert!(
        !stderr.contains("--attacks"),
        "bench takes no --attacks: {stderr}"
    );
}

/// `orchestrator list | head -1`: the reader closes the pipe early; the
/// command ends quietly, no panic.
#[test]
fn a_reader_closing_the_pipe_ends_list_quietly() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .arg("list")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read nothing: close the pipe at once.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.code(), Some(0), "{stderr}");
}

/// Ctrl-C during `run --all --out DIR`: the story under way is cut short,
/// the index and the summary of what ran are written, and the run exits
/// 130 saying so.
#[test]
fn ctrl_c_closes_the_run_with_an_index_and_a_summary_of_what_ran() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("interrupted");
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .args(["run", "--all", "--format", "markdown", "--out"])
        .arg(&dir)
        .env_remove("ORCHESTRATOR_AS")
        .env_remove("ORCHESTRATOR_RP")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Three transcripts written: the run is under way.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_dir(&dir).map_or(0, Iterator::count) < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "no transcript written"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted (Ctrl-C)"), "{stderr}");
    let index = std::fs::read_to_string(dir.join("index.md")).unwrap();
    assert!(index.contains("## Summary"), "{index}");
    let all = orchestrator::catalog::STORIES.len() + orchestrator::catalog::ATTACKS.len();
    let rows = index.lines().filter(|l| l.starts_with("| ")).count();
    assert!(rows >= 3 && rows < all, "{rows} rows: {index}");
}
