//! The as-service binary refuses to start in ways that would make replicas
//! disagree or leak keys, with a message that says what to do.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;

fn as_service() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_as-service"));
    for var in ["AS_CONFIG", "AS_LISTEN", "AS_ISSUER", "AS_KEYS", "AS_STORE"] {
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
