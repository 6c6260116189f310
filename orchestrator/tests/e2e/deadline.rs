//! A story's deadline (`--story-timeout`): a provider that answers slowly,
//! each request within the per-request limit, cannot stretch a story past
//! it; the story fails, timed out at the step under way.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A provider whose metadata answers at once and whose token endpoint
/// answers correctly, but only after `delay`.
async fn slow_provider(delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let metadata = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    })
    .to_string();
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            axum::routing::get({
                let metadata = metadata.clone();
                move || async move { ([("content-type", "application/json")], metadata) }
            }),
        )
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || async move {
                ([("content-type", "application/json")], metadata)
            }),
        )
        .route(
            "/jwks",
            axum::routing::get(|| async {
                ([("content-type", "application/json")], r#"{"keys":[]}"#)
            }),
        )
        .route(
            "/token",
            axum::routing::post(move || async move {
                tokio::time::sleep(delay).await;
                (
                    [
                        ("content-type", "application/json"),
                        ("cache-control", "no-store"),
                    ],
                    r#"{"access_token":"opaque","token_type":"Bearer","expires_in":600}"#,
                )
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

#[tokio::test(flavor = "multi_thread")]
async fn a_story_past_its_deadline_fails_timed_out_at_the_step_under_way() {
    let issuer = slow_provider(Duration::from_secs(15)).await;
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_orchestrator"))
            .args(["run", "oauth2_cc", "--issuer", &issuer])
            .args(["--client-id", "c1", "--client-secret", "s1"])
            .args(["--story-timeout", "2", "--format", "json"])
            .env_remove("ORCHESTRATOR_AS")
            .env_remove("ORCHESTRATOR_RP")
            .env_remove("ORCHESTRATOR_CLIENT_SECRET")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let story: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let error = story["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("timed out after 2 s at step ") && error.contains("client_credentials"),
        "{story}"
    );
    assert!(elapsed < Duration::from_secs(12), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_story_timeout_of_zero_is_a_usage_error() {
    let out = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_orchestrator"))
            .args(["run", "oauth2_cc", "--story-timeout", "0"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--story-timeout"));
}
