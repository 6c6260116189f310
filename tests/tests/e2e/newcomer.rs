//! What a newcomer trips over in a fresh checkout, kept fixed: key files
//! git would offer to commit, Redis tests passing without Redis, compose
//! ports open to every network and an issuer compose could not serve.
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

/// Every compose file under deploy/, with its text.
fn compose_files() -> Vec<(String, String)> {
    let deploy = repo_root().join("deploy");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&deploy)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("docker-compose") && name.ends_with(".yml")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files
}

/// The items of every `ports:` list of a compose file.
fn published_ports(text: &str) -> Vec<String> {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut ports = Vec::new();
    let mut list: Option<usize> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match list {
            Some(depth) if indent(line) > depth => {
                let item = line.trim().strip_prefix("- ").unwrap_or(line.trim());
                ports.push(item.trim_matches('"').to_owned());
            }
            _ => list = (line.trim() == "ports:").then(|| indent(line)),
        }
    }
    ports
}

/// Issue #12: a compose file must not open the demo's servers, whose
/// clients, users and keys are public, to every network the host is on.
#[test]
fn every_port_compose_publishes_is_on_the_hosts_loopback_unless_opened() {
    for (name, text) in compose_files() {
        let ports = published_ports(&text);
        assert!(!ports.is_empty(), "{name} publishes no port");
        for port in ports {
            assert!(
                port.starts_with("${OIDC_STORY_BIND:-127.0.0.1}:"),
                "{name}: {port} is not bound to ${{OIDC_STORY_BIND:-127.0.0.1}}"
            );
        }
    }
}

/// The value of `KEY: value` in a compose file's environment.
fn environment<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no {key}"))
}

/// Issue #12: in compose the AS's issuer is its HTTP front as the host
/// reaches it — a lawful issuer, served on the port it names, published
/// there — and the RP is told the same one.
#[test]
fn the_compose_issuer_is_the_http_front_the_host_reaches() {
    let text = std::fs::read_to_string(repo_root().join("deploy/docker-compose.yml")).unwrap();
    let issuer = environment(&text, "AS_ISSUER");
    assert_eq!(environment(&text, "RP_ISSUER"), issuer, "the RP's issuer");
    assert_eq!(issuer, "http://127.0.0.1:${AS_HTTP_HOST_PORT:-8080}");
    assert_eq!(
        environment(&text, "AS_HTTP_LISTEN"),
        "0.0.0.0:${AS_HTTP_HOST_PORT:-8080}"
    );
    assert!(
        published_ports(&text).contains(
            &"${OIDC_STORY_BIND:-127.0.0.1}:${AS_HTTP_HOST_PORT:-8080}:${AS_HTTP_HOST_PORT:-8080}"
                .to_owned()
        ),
        "the HTTP front is published on the port the issuer names"
    );
    // With the defaults: the AS takes the issuer, and does not warn that
    // its listener cannot be it.
    let issuer = issuer.replace("${AS_HTTP_HOST_PORT:-8080}", "8080");
    let mut config = as_service::config::Config::default_config().unwrap();
    config.set_issuer(&issuer).unwrap();
    let listener = as_service::http::reach::Listener {
        address: "0.0.0.0:8080".parse().unwrap(),
        tls: false,
        behind_proxy: false,
    };
    assert_eq!(
        as_service::http::reach::mismatch(&url::Url::parse(&issuer).unwrap(), listener),
        None
    );
    let mut rp = rp_service::config::Config::default_config().unwrap();
    rp.set_issuer(&issuer).unwrap();
    assert_eq!(
        rp.endpoint("token_endpoint"),
        Some("http://127.0.0.1:8080/token")
    );
}
