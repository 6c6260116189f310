//! How a story against a provider the project does not run ends when no
//! one broke anything: the provider's lawful refusal is `refused_by_server`
//! with its error shown (never "state missing"), and a login only a person
//! can do is `needs_browser`; both exit 0. A test provider, on a loopback
//! port, that refuses the implicit flow in the query and logs in by script.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::{Command, Output};

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect};

#[derive(Clone)]
struct Provider {
    issuer: String,
}

async fn metadata(State(p): State<Provider>) -> impl IntoResponse {
    let issuer = &p.issuer;
    (
        [("content-type", "application/json")],
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code", "id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "grant_types_supported": ["authorization_code", "implicit"],
        })
        .to_string(),
    )
}

/// The implicit flow is refused for this client, by redirect, in the query
/// (where the fragment was due); the code flow wants a person, its login
/// page built by script (no form in the HTML).
async fn authorize(uri: axum::http::Uri) -> axum::response::Response {
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    // A client it does not know: answered to the browser, not redirected
    // (RFC 6749 §4.1.2.1).
    if q.get("client_id").map(String::as_str) == Some("unknown") {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            [("content-type", "application/json")],
            r#"{"error":"invalid_client","error_description":"no such client"}"#,
        )
            .into_response();
    }
    if q.get("response_type").map(String::as_str) == Some("id_token") {
        let mut to = url::Url::parse(&q["redirect_uri"]).unwrap();
        to.query_pairs_mut()
            .append_pair("error", "unauthorized_client")
            .append_pair(
                "error_description",
                "this client may not use the implicit grant",
            );
        return Redirect::to(to.as_str()).into_response();
    }
    Html("<!DOCTYPE html><html><body><div id=app></div><script src=/login.js></script></body></html>")
        .into_response()
}

async fn provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(metadata),
        )
        .route(
            "/jwks",
            axum::routing::get(|| async {
                ([("content-type", "application/json")], r#"{"keys":[]}"#)
            }),
        )
        .route("/authorize", axum::routing::get(authorize))
        .with_state(Provider {
            issuer: issuer.clone(),
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    issuer
}

async fn run(issuer: String, extra: &[&str]) -> (Output, serde_json::Value) {
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    let client = if extra.iter().any(|a| a == "--client-id") {
        vec![]
    } else {
        vec!["--client-id", "c1"]
    };
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_orchestrator"))
            .args(["run", "--issuer", &issuer, "--format", "json"])
            .args(client)
            .args(["--redirect-uri", "https://rp.example/cb"])
            .args(&extra)
            .env_remove("ORCHESTRATOR_AS")
            .env_remove("ORCHESTRATOR_RP")
            .env_remove("ORCHESTRATOR_CLIENT_SECRET")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let summary = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|l| l.get("summary").cloned())
        .unwrap_or_else(|| {
            panic!(
                "no summary: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    (out, summary)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_answered_in_the_query_is_the_providers_refusal_not_a_missing_state() {
    let issuer = provider().await;
    let (out, summary) = run(issuer, &["oidc_id_token"]).await;
    let story = &summary["stories"][0];
    assert_eq!(story["result"], "refused_by_server", "{summary}");
    assert_eq!(story["error"], "unauthorized_client");
    assert_eq!(
        story["description"],
        "this client may not use the implicit grant"
    );
    let note = story["note"].as_str().unwrap();
    assert!(note.contains("OIDC Core §3.2.2.5"), "{note}");
    assert_eq!(summary["totals"]["refused_by_server"], 1);
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_page_is_a_persons_part_not_the_providers_failure() {
    let issuer = provider().await;
    let (out, summary) = run(issuer, &["oauth2_code"]).await;
    let story = &summary["stories"][0];
    assert_eq!(story["result"], "needs_browser", "{summary}");
    assert!(story["what"].as_str().unwrap().contains("--browser"));
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_answered_to_the_browser_is_the_providers_answer_even_with_login() {
    let issuer = provider().await;
    let (out, summary) = run(
        issuer,
        &[
            "oauth2_code",
            "--client-id",
            "unknown",
            "--login",
            "user=alice",
        ],
    )
    .await;
    let story = &summary["stories"][0];
    assert_eq!(story["result"], "refused_by_server", "{summary}");
    assert_eq!(story["error"], "invalid_client");
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_page_built_by_script_needs_a_browser_even_with_login() {
    let issuer = provider().await;
    let (out, summary) = run(issuer, &["oauth2_code", "--login", "user=alice"]).await;
    let story = &summary["stories"][0];
    assert_eq!(story["result"], "needs_browser", "{summary}");
    assert!(
        story["what"].as_str().unwrap().contains("built by script"),
        "{summary}"
    );
    assert_eq!(summary["totals"]["failed"], 0);
    assert_eq!(out.status.code(), Some(0));
}
