//! What a newcomer trips over in a fresh checkout, kept fixed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The README starts the AS with `--keys as-keys.json` in the checkout's
/// root: git must never offer to commit those private keys.
#[test]
fn private_key_files_from_the_readme_are_ignored_by_git() {
    let root = repo_root();
    if !root.join(".git").exists() {
        eprintln!("not a git checkout: nothing to check");
        return;
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let words: Vec<&str> = readme.split_whitespace().collect();
    let mut key_files: Vec<&str> = words
        .windows(2)
        .filter(|w| w[0] == "--keys")
        .map(|w| w[1].trim_matches('`'))
        .collect();
    key_files.sort_unstable();
    key_files.dedup();
    assert!(!key_files.is_empty(), "the README names no --keys file");
    for file in key_files
        .into_iter()
        .chain(["some.keys.json", "deploy/as-keys.json"])
    {
        let status = Command::new("git")
            .args(["check-ignore", "--no-index", "-q", file])
            .current_dir(root)
            .status()
            .unwrap();
        assert!(status.success(), "git does not ignore {file}");
    }
}

/// A test that needs Redis is reported as ignored without it, never as
/// passed: each one carries `#[ignore = "…"]` (and fails, saying why, when
/// run without Redis).
#[test]
fn tests_that_need_redis_are_ignored_not_passed_without_it() {
    let dir = repo_root().join("tests").join("tests").join("e2e");
    let mut needing = 0;
    for file in ["replicas.rs", "store_outage.rs"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        // Each test: its attributes, then its body up to the next test.
        for test in text.split("#[tokio::test]").skip(1) {
            let body = test.split("#[tokio::test]").next().unwrap();
            let (attributes, rest) = body.split_once("async fn ").unwrap();
            let needs_redis = rest.contains("redis_url()") || rest.contains("OwnRedis::start");
            if needs_redis {
                needing += 1;
                let name = rest.split('(').next().unwrap();
                assert!(
                    attributes.contains("#[ignore = \""),
                    "{file}: {name} needs Redis but is not ignored without it"
                );
            }
        }
    }
    assert!(needing >= 4, "the Redis tests were not found ({needing})");
}

/// Every ignored test says what it needs and how to run it, so the
/// newcomer reading "ignored" knows what to do.
#[test]
fn every_ignored_test_says_what_it_needs_and_how_to_run_it() {
    let mut reasons = Vec::new();
    let mut dirs = vec![repo_root().to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "node_modules" {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().map(str::trim) {
                    if let Some(reason) = line.strip_prefix("#[ignore") {
                        reasons.push((path.clone(), reason.to_owned()));
                    }
                }
            }
        }
    }
    assert!(reasons.len() >= 7, "the ignored tests were not found");
    for (path, reason) in reasons {
        assert!(
            reason.contains("--include-ignored")
                && (reason.contains("needs") || reason.contains("starts")),
            "{}: {reason}: say what the test needs and how to run it",
            path.display()
        );
    }
}
