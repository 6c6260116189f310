//! `run --issuer`: the stories over real HTTP against the project's own AS
//! serving HTTP (as any server would be reached), and the checks made on a
//! server before any story runs.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_story_passes_over_http_against_our_own_as() {
    let backchannel = format!("http://127.0.0.1:{}/backchannel", free_port());
    let issuer = as_posting_logouts_to(&backchannel).await;
    let out = orchestrator(args(&[
        "run",
        "--all",
        "--issuer",
        &issuer,
        "--backchannel-uri",
        &backchannel,
        "--format",
        "json",
    ]))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let totals = &summary["summary"]["totals"];
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr}\n{}",
        summary["summary"]
    );
    let stories = orchestrator::catalog::STORIES.len();
    let usage = usage_stories();
    let attacks = orchestrator::catalog::ATTACKS.len();
    assert_eq!(
        totals["stories"],
        stories + attacks,
        "--all against another server: the stories and the attacks"
    );
    assert_eq!(
        totals["refused_as_expected"],
        stories - usage + attacks,
        "{}",
        summary["summary"]
    );
    // Every story, the logout one included: its logout token posted by the
    // server itself to the orchestrator's listener at the client's URI.
    assert_eq!(totals["passed"], usage, "{}", summary["summary"]);
    let logout = stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|s| s["story"] == "oidc_logout")
        .unwrap();
    let delivered = logout["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "backchannel_logout")
        .unwrap();
    assert_eq!(delivered["request"]["url"], backchannel.as_str());
    assert_eq!(delivered["response"]["status"], 200);
    assert!(
        stderr.contains(&format!("against {issuer} over HTTP")),
        "{stderr}"
    );
    // Every request crossed real HTTP to the issuer's own URLs.
    for line in stdout.lines() {
        let story: serde_json::Value = serde_json::from_str(line).unwrap();
        if story.get("summary").is_some() {
            continue;
        }
        for step in story["steps"].as_array().unwrap() {
            let url = step["request"]["url"].as_str().unwrap();
            if step["service"] == "backchannel_logout" {
                continue;
            }
            assert!(url.starts_with(&issuer), "{url}");
            // Form Post §2 over HTTP: the page and its headers arrive whole.
            if story["story"] == "oidc_form_post" && step["service"] == "authorization" {
                let response = &step["response"];
                assert_eq!(response["status"], 200);
                let csp = response["headers"]["content-security-policy"]
                    .as_str()
                    .unwrap();
                assert!(csp.contains("script-src 'sha256-"), "{csp}");
                assert!(step["parsed"]["code"].is_string(), "{step}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_naming_another_issuer_is_refused_before_any_story() {
    let issuer = as_over_http().await;
    // The same server reached by another name: its metadata names
    // 127.0.0.1, not localhost (OIDC Discovery §4.3).
    let other_name = issuer.replace("127.0.0.1", "localhost");
    let out = orchestrator(args(&["run", "oauth2_cc", "--issuer", &other_name])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("names the issuer"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_another_host_is_refused() {
    let out = orchestrator(args(&["run", "oauth2_cc", "--issuer", "http://op.example"])).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("loopback only"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_page_is_a_persons_part_with_the_options_named() {
    let issuer = as_over_http_with(|config| config.interactive = true).await;
    let out = orchestrator(args(&["run", "oauth2_code", "--issuer", &issuer])).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A person's part, not the server's failure: exit 0, the options named.
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("--browser") && stdout.contains("--login"),
        "{stdout}"
    );
    assert!(stdout.contains("needs a browser"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_the_servers_own_login_needs_a_browser() {
    // A server whose authorization endpoint sends the browser to its login
    // page, as many do, instead of answering the client.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let metadata = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
    });
    let login = format!("{issuer}/login?next=%2Fauthorize");
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            axum::routing::get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    metadata.to_string(),
                )
            }),
        )
        .route(
            "/authorize",
            axum::routing::get(move || async move {
                (
                    axum::http::StatusCode::FOUND,
                    [(axum::http::header::LOCATION, login)],
                )
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let out = orchestrator(args(&[
        "run",
        "oauth2_code",
        "--issuer",
        &issuer,
        "--client-id",
        "app",
        "--client-secret",
        "s",
        "--redirect-uri",
        "http://127.0.0.1:9876/callback",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("sends the browser to") && stdout.contains("--browser"),
        "{stdout}"
    );
    assert!(stdout.contains("needs a browser"), "{stdout}");
}

/// Three code flows, one of them OpenID.
const CODE_FLOWS: &[&str] = &["oauth2_code", "oauth2_token_refresh", "oidc_code"];

#[tokio::test(flavor = "multi_thread")]
async fn a_users_openid_scope_leaves_the_oauth_stories_as_they_are() {
    let issuer = as_over_http().await;
    let run = user_client(
        &issuer,
        CODE_FLOWS,
        &["--scope", "openid profile offline_access"],
    );
    for story in stories_of(orchestrator(run).await) {
        let name = story["story"].as_str().unwrap();
        let scope = step(&story, "authorization")["request"]["params"]["scope"]
            .as_str()
            .unwrap_or_default();
        let openid = scope.split(' ').any(|s| s == "openid");
        assert_eq!(openid, name.starts_with("oidc_"), "{name}: {scope}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_story_registers_the_method_it_is_about_beside_a_users_client() {
    let issuer = as_over_http().await;
    let run = user_client(
        &issuer,
        &["oauth2_private_key_jwt", "oidc_code_dyn_reg"],
        &[],
    );
    let seen: Vec<(String, String)> = stories_of(orchestrator(run).await)
        .iter()
        .map(|story| {
            let method =
                step(story, "registration")["request"]["params"]["token_endpoint_auth_method"]
                    .as_str()
                    .unwrap()
                    .to_owned();
            (story["story"].as_str().unwrap().to_owned(), method)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "oauth2_private_key_jwt".to_owned(),
                "private_key_jwt".to_owned()
            ),
            (
                "oidc_code_dyn_reg".to_owned(),
                "client_secret_post".to_owned()
            ),
        ]
    );
}

/// Our AS over HTTP with client `client` requiring PKCE, as
/// django-oauth-toolkit does by default.
async fn as_requiring_pkce() -> String {
    as_over_http_with(|config| with_client(config, |client| client.require_pkce = true)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_code_flow_sends_pkce_where_the_server_lists_s256() {
    let issuer = as_requiring_pkce().await;
    let out = orchestrator(user_client(&issuer, CODE_FLOWS, &[])).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("sends PKCE (S256)"), "{stderr}");
    for line in stdout.lines() {
        let story: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(summary) = story.get("summary") {
            assert_eq!(summary["totals"]["passed"], 3, "{summary}");
            continue;
        }
        let authorization = story["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == "authorization")
            .unwrap();
        assert_eq!(
            authorization["request"]["params"]["code_challenge_method"], "S256",
            "{}",
            story["story"]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pkce_never_runs_the_plain_flow_and_a_server_requiring_it_refuses_by_its_right() {
    let issuer = as_requiring_pkce().await;
    let out = orchestrator(user_client(&issuer, CODE_FLOWS, &["--pkce", "never"])).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    for story in summary["summary"]["stories"].as_array().unwrap() {
        assert_eq!(story["result"], "refused_by_server", "{story}");
        assert_eq!(story["error"], "invalid_request", "{story}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_a_user_alone_gets_through_our_interactive_approval_pages() {
    let issuer = as_over_http_with(|config| config.interactive = true).await;
    let out = orchestrator(args(&[
        "run",
        "oauth2_code",
        "oidc_code",
        "oauth2_device_code",
        "--issuer",
        &issuer,
        "--login",
        "user=diana",
        "--format",
        "json",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // The device story too: its user step, at the verification URI, walks
    // the approval page as the authorization's does.
    assert_eq!(summary["summary"]["totals"]["passed"], 3, "{summary}");
    // The transcript shows the walk: the page, then the form posted (its
    // fields named, their values left out) and the redirect it answered.
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let authorization = first["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "authorization")
        .unwrap();
    let login = authorization["login"].as_array().unwrap();
    let posted = login.iter().find(|h| h["method"] == "POST").unwrap();
    let fields: Vec<&str> = posted["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(
        fields.contains(&"user") && fields.contains(&"decision") && fields.contains(&"csrf_token"),
        "{posted}"
    );
    assert_eq!(posted["status"], 302);
    assert!(
        posted["location"]
            .as_str()
            .unwrap()
            .starts_with("https://example.com/cb")
    );
    assert!(
        !login.iter().any(|h| h.to_string().contains("diana")),
        "{login:?}"
    );

    // Without --login, the user's step is a person's part, not a failure.
    let out = orchestrator(args(&[
        "run",
        "oauth2_device_code",
        "--issuer",
        &issuer,
        "--format",
        "json",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let story = &summary["summary"]["stories"][0];
    assert_eq!(story["result"], "needs_browser", "{story}");
    assert_eq!(story["service"], "device_user", "{story}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_resource_story_runs_with_the_users_resources_and_says_what_it_needs_without() {
    let issuer = as_over_http().await;
    let base = [
        "run",
        "oauth2_resource_indicators",
        "--issuer",
        issuer.as_str(),
        "--client-id",
        "client",
        "--client-secret",
        "SUPERhemligtlösenord",
        "--redirect-uri",
        "https://example.com/cb",
        "--scope",
        "foobar offline_access",
        "--format",
        "json",
    ];
    let without = orchestrator(args(&base)).await;
    let stdout = String::from_utf8_lossy(&without.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let story = &summary["summary"]["stories"][0];
    assert_eq!(story["result"], "skipped", "{story}");
    assert!(
        story["why"].as_str().unwrap().contains("--resource"),
        "{story}"
    );

    let mut with = args(&base);
    with.extend(args(&[
        "--resource",
        "https://backend.example.org/",
        "--resource",
        "https://example.org/appl",
    ]));
    let out = orchestrator(with).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let token = first["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "accesstoken")
        .unwrap();
    // The story's second resource is the user's second: example.org/appl.
    assert_eq!(
        token["request"]["params"]["resource"], "https://example.org/appl",
        "{token}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_story_passes_with_login_through_our_interactive_approval_pages() {
    let backchannel = format!("http://127.0.0.1:{}/backchannel", free_port());
    let uri = backchannel.clone();
    let issuer = as_over_http_with(|config| {
        config.interactive = true;
        with_client(config, |client| client.backchannel_logout_uri = Some(uri));
    })
    .await;
    let out = orchestrator(args(&[
        "run",
        "--all",
        "--issuer",
        &issuer,
        "--login",
        "user=diana",
        "--backchannel-uri",
        &backchannel,
        "--format",
        "json",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let totals = &summary["summary"]["totals"];
    // Every page a person would answer (the approval at the authorization
    // endpoint and at the device's verification URI) filled in by --login.
    assert_eq!(totals["passed"], usage_stories(), "{}", summary["summary"]);
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_endpoint_on_loopback_passes_saying_why() {
    let issuer = as_over_http().await;
    let out = orchestrator(args(&[
        "run",
        "oauth2_code",
        "--issuer",
        &issuer,
        "--format",
        "json",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let story: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let check = story["steps"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("authorization_endpoint is an https URL"))
        })
        .unwrap()
        .clone();
    assert_eq!(check["outcome"], "passed", "{check}");
    assert_eq!(
        check["detail"],
        format!("{issuer}/authorization: http on loopback, allowed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issuer_reports_copy_commands_go_to_that_server_and_offer_no_grpcurl() {
    let issuer = as_over_http().await;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("issuer-copy");
    let out = orchestrator(vec![
        "run".into(),
        "oauth2_cc".into(),
        "--issuer".into(),
        issuer.clone(),
        "--format".into(),
        "html".into(),
        "--force".into(),
        "--out".into(),
        dir.display().to_string(),
    ])
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(dir.join("oauth2_cc.html")).unwrap();
    // Nothing serves gRPC where a server over HTTP was used.
    assert!(!page.contains("grpcurl"), "no grpcurl under --issuer");
    assert!(
        page.contains(&format!("curl -i -X POST &#39;{issuer}/token&#39;")),
        "the curl command goes to the server this run used"
    );
}

/// The stories of --all that are usage stories (some stories, like
/// prompt=none with nobody logged in, are the provider's to refuse).
fn usage_stories() -> usize {
    orchestrator::catalog::STORIES
        .iter()
        .filter(|s| s.kind() == orchestrator::catalog::Kind::Usage)
        .count()
}

/// The Basic OP plan against our own AS over HTTP: every module passes (or,
/// for a module the provider must refuse, is refused as expected).
#[tokio::test(flavor = "multi_thread")]
async fn every_basic_op_module_passes_over_http_against_our_own_as() {
    let issuer = as_over_http().await;
    let out = orchestrator(args(&[
        "run",
        "--plan",
        "oidcc-basic",
        "--issuer",
        &issuer,
        "--format",
        "json",
    ]))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", summary["summary"]);
    let modules = summary["summary"]["plan"]["modules"].as_array().unwrap();
    assert_eq!(modules.len(), 33);
    for m in modules {
        let result = m["result"].as_str().unwrap();
        assert!(
            result == "passed" || result == "refused_as_expected",
            "{}: {result}",
            m["module"]
        );
    }
}
