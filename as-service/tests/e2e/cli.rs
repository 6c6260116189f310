//! The as-service binary refuses to start in ways that would make replicas
//! disagree or leak keys, with a message that says what to do.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

fn as_service() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_as-service"));
    for var in [
        "AS_CONFIG",
        "AS_LISTEN",
        "AS_ISSUER",
        "AS_KEYS",
        "AS_STORE",
        "AS_HTTP_LISTEN",
        "AS_HTTP_BEHIND_PROXY",
    ] {
        command.env_remove(var);
    }
    command
}

#[test]
fn a_shared_store_without_a_key_file_is_refused_with_what_to_do() {
    // No Redis needs to answer: the check comes before any connection.
    let out = as_service()
        .args([
            "--listen",
            "127.0.0.1:0",
            "--store",
            "redis://127.0.0.1:1/0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--keys"), "{stderr}");
    assert!(stderr.contains("every replica"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_key_file_others_can_read_is_refused_with_the_chmod_to_run() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("as-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.json");
    let keys = oauth_core::jose::KeySet::generate().unwrap();
    std::fs::write(&path, keys.to_private_jwks()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = as_service()
        .args(["--listen", "127.0.0.1:0", "--keys"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[cfg(unix)]
#[test]
fn a_start_logs_the_key_ids_it_signs_with_and_health_says_serving() {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("as-cli-kids-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.json");
    let keys = oauth_core::jose::KeySet::generate().unwrap();
    std::fs::write(&path, keys.to_private_jwks()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut server = as_service()
        .args(["--listen", &addr, "--keys"])
        .arg(&path)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut health = None;
    for _ in 0..100 {
        let out = as_service()
            .args(["health", "--addr", &addr])
            .output()
            .unwrap();
        if out.status.success() {
            health = Some(String::from_utf8(out.stdout).unwrap());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    let mut logged = String::new();
    let mut stdout = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logged)
        .unwrap();
    server
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let logged = format!("{logged}{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(health.as_deref(), Some("SERVING\n"));
    assert!(logged.contains("signing keys loaded"), "{logged}");
    for key in keys.keys() {
        assert!(
            logged.contains(key.kid()),
            "{} not logged:\n{logged}",
            key.kid()
        );
    }
}

/// What a server started with `args` logs until it answers health checks.
fn log_of_a_start(args: &[&str]) -> String {
    use std::io::Read;
    let addr = format!("127.0.0.1:{}", free_port());
    let mut server = as_service()
        .args(["--listen", &addr])
        .args(args)
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut serving = false;
    for _ in 0..100 {
        let out = as_service()
            .args(["health", "--addr", &addr])
            .output()
            .unwrap();
        if out.status.success() {
            serving = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    let mut logged = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logged)
        .unwrap();
    server
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut logged)
        .unwrap();
    assert!(serving, "the server never answered:\n{logged}");
    logged
}

#[test]
fn an_http_front_the_issuer_does_not_name_is_warned_of_at_start() {
    let http = format!("127.0.0.1:{}", free_port());
    // The built-in issuer is https://example.com/: a plain listener on
    // another port is not where its metadata sends anyone.
    let logged = log_of_a_start(&["--http-listen", &http]);
    let warning = logged
        .lines()
        .find(|l| l.contains("cannot be the issuer's"))
        .unwrap_or_else(|| panic!("no warning:\n{logged}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains("clients following the metadata will connect to https://example.com"),
        "{warning}"
    );

    // The issuer at the listener's own port: nothing to warn of.
    let issuer = format!("http://{http}");
    let logged = log_of_a_start(&["--http-listen", &http, "--issuer", &issuer]);
    assert!(logged.contains("AS serving HTTP"), "{logged}");
    assert!(!logged.contains("cannot be the issuer's"), "{logged}");

    // A proxy said to be in front: no warning either.
    let logged = log_of_a_start(&["--http-listen", &http, "--http-behind-proxy"]);
    assert!(!logged.contains("cannot be the issuer's"), "{logged}");
}

#[test]
fn an_http_connection_cap_of_zero_is_refused_by_name() {
    let out = as_service()
        .args(["--listen", "127.0.0.1:0", "--http-max-connections", "0"])
        .env_remove("AS_HTTP_MAX_CONNECTIONS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--http-max-connections"), "{stderr}");
}
