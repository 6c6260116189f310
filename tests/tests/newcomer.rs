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
    let dir = repo_root().join("tests").join("tests");
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
