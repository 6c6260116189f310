//! The AS over real HTTP, on ephemeral loopback ports: `curl` against the
//! binary, a third-party OpenID Connect client (the `openidconnect` crate)
//! through the code flow, the interactive approval page, the errors that
//! are never redirected, and the issuers refused at start.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use as_service::AuthServer;
use as_service::config::Config;
use oauth_core::jose::KeySet;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::reqwest;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

/// From deploy/as.toml.
const CODE_CLIENT: (&str, &str) = ("client", "SUPERhemligtlösenord");
const CLIENT_1: (&str, &str) = ("client_1", "another password");
const REDIRECT_URI: &str = "https://example.com/cb";

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An in-process AS serving HTTP on an ephemeral loopback port, its issuer
/// `http://127.0.0.1:PORT`.
async fn http_server(interactive: bool) -> (String, Arc<AuthServer>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut config = Config::default_config().unwrap();
    config.set_issuer(&issuer).unwrap();
    config.interactive = interactive;
    let keys = KeySet::from_private_jwks(include_str!("../../src/test_support/keys.json")).unwrap();
    let server = AuthServer::new(config, keys).unwrap();
    tokio::spawn(as_service::http::serve(
        listener,
        server.clone(),
        std::future::pending(),
    ));
    (issuer, server)
}

/// A client that reports redirects instead of following them. Where the
/// workspace builds reqwest with rustls but no crypto provider of its own
/// (the orchestrator brings its own TLS set-up), aws-lc-rs is installed as
/// the process's provider first.
fn http_client() -> reqwest::Client {
    let _ = tokio_rustls::rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

// ---- the binary, with curl ----

/// `as-service` with gRPC and HTTP on free loopback ports, stopped (and
/// reaped) when dropped.
struct Binary {
    child: Option<Child>,
    scheme: &'static str,
    http_port: u16,
    grpc_port: u16,
}

impl Binary {
    fn start() -> Self {
        Self::start_with(&[])
    }

    /// With `--http-tls-cert` and `--http-tls-key` among `extra`, the
    /// issuer is https.
    fn start_with(extra: &[&str]) -> Self {
        let scheme = if extra.contains(&"--http-tls-cert") {
            "https"
        } else {
            "http"
        };
        for _ in 0..3 {
            let (http_port, grpc_port) = (free_port(), free_port());
            let child = Command::new(env!("CARGO_BIN_EXE_as-service"))
                .args(["--listen", &format!("127.0.0.1:{grpc_port}")])
                .args(["--http-listen", &format!("127.0.0.1:{http_port}")])
                .args(["--issuer", &format!("{scheme}://127.0.0.1:{http_port}")])
                .args(extra)
                .env_remove("AS_CONFIG")
                .env_remove("AS_KEYS")
                .env_remove("AS_STORE")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut binary = Self {
                child: Some(child),
                scheme,
                http_port,
                grpc_port,
            };
            if binary.wait_ready() {
                return binary;
            }
        }
        panic!("as-service did not start serving HTTP");
    }

    /// Whether the HTTP port answers before the process exits (a port
    /// taken in between is the only expected reason).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        let Some(child) = self.child.as_mut() else {
            return false;
        };
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return false;
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.http_port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn issuer(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.http_port)
    }

    /// SIGTERM, then the exit status and what the server logged.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let child = self.child.take().unwrap();
        let pid = child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn curl_present() -> bool {
    let present = Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        eprintln!("SKIPPED: curl is not installed; install curl to run this test");
    }
    present
}

fn curl(args: &[&str]) -> serde_json::Value {
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--fail-with-body"])
        .args(args)
        .output()
        .unwrap();
    let body = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "curl {args:?}: {}\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&body).unwrap()
}

#[test]
fn curl_discovers_the_token_endpoint_and_gets_a_client_credentials_token() {
    if !curl_present() {
        return;
    }
    let binary = Binary::start();
    let issuer = binary.issuer();
    let metadata = curl(&[&format!("{issuer}/.well-known/openid-configuration")]);
    assert_eq!(metadata["issuer"], issuer.as_str());
    let rfc8414 = curl(&[&format!("{issuer}/.well-known/oauth-authorization-server")]);
    assert_eq!(rfc8414, metadata);
    let token_endpoint = metadata["token_endpoint"].as_str().unwrap();
    assert_eq!(token_endpoint, format!("{issuer}/token"));
    let user = format!("{}:{}", CLIENT_1.0, CLIENT_1.1);
    let token = curl(&[
        "--user",
        &user,
        "--data",
        "grant_type=client_credentials",
        token_endpoint,
    ]);
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "resourceA");
    let access_token = token["access_token"].as_str().unwrap();
    let introspected = curl(&[
        "--user",
        &user,
        "--data-urlencode",
        &format!("token={access_token}"),
        metadata["introspection_endpoint"].as_str().unwrap(),
    ]);
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["iss"], issuer.as_str());
}

#[test]
fn curl_gets_a_token_over_https_with_the_configured_certificate() {
    if !curl_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("as-http-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|out| out.status.success()) {
        eprintln!(
            "SKIPPED: openssl could not make a test certificate; install openssl to run this test"
        );
        return;
    }
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let binary = Binary::start_with(&["--http-tls-cert", cert, "--http-tls-key", key]);
    let issuer = binary.issuer();
    assert!(issuer.starts_with("https://"));
    let metadata = curl(&[
        "--cacert",
        cert,
        &format!("{issuer}/.well-known/openid-configuration"),
    ]);
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/token"));
    let user = format!("{}:{}", CLIENT_1.0, CLIENT_1.1);
    let token = curl(&[
        "--cacert",
        cert,
        "--user",
        &user,
        "--data",
        "grant_type=client_credentials",
        &format!("{issuer}/token"),
    ]);
    assert_eq!(token["token_type"], "Bearer");
    // Plain HTTP on the TLS port is not served.
    let plain = Command::new("curl")
        .args(["--silent", "--max-time", "5"])
        .arg(format!("http://127.0.0.1:{}/token", binary.http_port))
        .output()
        .unwrap();
    assert!(!plain.status.success());
    drop(binary);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn grpc_and_http_serve_side_by_side_and_stop_together_on_sigterm() {
    let binary = Binary::start();
    let health = Command::new(env!("CARGO_BIN_EXE_as-service"))
        .args([
            "health",
            "--addr",
            &format!("127.0.0.1:{}", binary.grpc_port),
        ])
        .output()
        .unwrap();
    assert!(health.status.success(), "{health:?}");
    let (status, log) = binary.terminate();
    assert!(status.success(), "{status}: {log}");
    assert!(log.contains("AS stopped"), "{log}");
}

#[test]
fn an_http_issuer_off_loopback_is_refused_at_start() {
    for issuer in ["http://example.com:8080", "http://10.0.0.1:8080/"] {
        let out = Command::new(env!("CARGO_BIN_EXE_as-service"))
            .args(["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"])
            .args(["--issuer", issuer])
            .env_remove("AS_CONFIG")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{issuer} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("must be an https URL"), "{stderr}");
    }
}

// ---- a third-party OpenID Connect client ----

#[tokio::test]
async fn openidconnect_completes_the_code_flow_with_pkce_and_verifies_the_id_token() {
    let (issuer, _server) = http_server(false).await;
    let http = http_client();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CODE_CLIENT.0.into()),
        Some(ClientSecret::new(CODE_CLIENT.1.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorization_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The browser's part: our AS answers 302 to the redirect URI.
    let answer = http.get(authorization_url).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        query_param(&location, "iss").as_deref(),
        Some(issuer.as_str())
    );
    let code = query_param(&location, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.issuer().as_str(), issuer);
    assert_eq!(claims.subject().as_str(), "diana");
    if let Some(expected) = claims.access_token_hash() {
        let actual = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(&actual, expected);
    }

    let userinfo: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("diana@example.org")
    );
    let name = userinfo.name().and_then(|n| n.get(None)).unwrap();
    assert_eq!(name.as_str(), "Diana Krall");
}

#[tokio::test]
async fn a_code_from_a_pkce_request_is_refused_without_its_verifier() {
    let (issuer, _server) = http_server(false).await;
    let http = http_client();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer).unwrap(), &http)
        .await
        .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CODE_CLIENT.0.into()),
        Some(ClientSecret::new(CODE_CLIENT.1.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorization_url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let answer = http.get(authorization_url).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let code = query_param(&location, "code").unwrap();
    let refused = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await;
    assert!(refused.is_err());
}

// ---- the interactive approval page ----

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The hidden fields of the approval page, as a browser posts them back.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.lines()
        .filter_map(|line| line.strip_prefix("<input type=\"hidden\" name=\""))
        .map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"").unwrap();
            (unescape(name), unescape(rest.strip_suffix("\">").unwrap()))
        })
        .collect()
}

/// The approval page for a code request of `client`, as a browser gets it.
async fn approval_page(issuer: &str) -> String {
    let url = url::Url::parse_with_params(
        &format!("{issuer}/authorization"),
        [
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid profile"),
            ("state", "s1"),
        ],
    )
    .unwrap();
    let page = http_client()
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    page.text().await.unwrap()
}

async fn post_approval(issuer: &str, fields: &[(String, String)]) -> reqwest::Response {
    http_client()
        .post(format!("{issuer}/authorization"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn approving(mut fields: Vec<(String, String)>, user: &str) -> Vec<(String, String)> {
    fields.push(("user".into(), user.into()));
    fields.push(("decision".into(), "approve".into()));
    fields
}

#[tokio::test]
async fn the_approval_page_shows_every_configured_user_and_no_script() {
    let (issuer, _server) = http_server(true).await;
    let page = approval_page(&issuer).await;
    for user in ["diana", "babs", "upper"] {
        assert!(
            page.contains(&format!("name=\"user\" value=\"{user}\"")),
            "{page}"
        );
    }
    assert!(
        page.contains(&format!("action=\"{issuer}/authorization\"")),
        "{page}"
    );
    assert!(!page.contains("<script"));
    assert!(hidden_fields(&page).iter().any(|(k, _)| k == "csrf_token"));
}

#[tokio::test]
async fn an_approval_posted_without_a_csrf_token_is_refused() {
    let (issuer, _server) = http_server(true).await;
    let fields: Vec<_> = hidden_fields(&approval_page(&issuer).await)
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    let refused = post_approval(&issuer, &approving(fields, "babs")).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("location").is_none());
}

#[tokio::test]
async fn an_approval_posted_with_a_bad_csrf_token_is_refused() {
    let (issuer, _server) = http_server(true).await;
    let fields = hidden_fields(&approval_page(&issuer).await);
    // Another page's token does not fit this request; nor does a forged one.
    let other: Vec<_> = hidden_fields(&approval_page(&issuer).await)
        .into_iter()
        .filter(|(k, _)| k == "csrf_token")
        .collect();
    let with_token = |token: String| -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| {
                if k == "csrf_token" {
                    (k.clone(), token.clone())
                } else if k == "state" {
                    (k.clone(), "s2".into())
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect()
    };
    for token in [other[0].1.clone(), "1.AAAA".to_owned()] {
        let refused = post_approval(&issuer, &approving(with_token(token), "babs")).await;
        assert_eq!(refused.status(), 403);
        assert!(refused.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn an_approval_with_its_csrf_token_redirects_with_a_code_for_the_chosen_user() {
    let (issuer, _server) = http_server(true).await;
    let fields = hidden_fields(&approval_page(&issuer).await);
    let answer = post_approval(&issuer, &approving(fields, "babs")).await;
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
    let code = query_param(&location, "code").unwrap();
    let tokens = http_client()
        .post(format!("{issuer}/token"))
        .basic_auth(CODE_CLIENT.0, Some(CODE_CLIENT.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), 200);
    let tokens: serde_json::Value = serde_json::from_str(&tokens.text().await.unwrap()).unwrap();
    let userinfo = http_client()
        .get(format!("{issuer}/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let userinfo: serde_json::Value =
        serde_json::from_str(&userinfo.text().await.unwrap()).unwrap();
    assert_eq!(userinfo["sub"], "babs");
    assert_eq!(userinfo["name"], "Barbara J Jensen");
}

/// The finding of the third review, over real HTTP: the answered page's
/// form posted again with its token respelled (`+T`, `0T`, `00T`) and
/// another user issued a code each time. Each respelling is refused now,
/// and only the first answer ever carried a code.
#[tokio::test]
async fn an_answered_approval_page_posted_again_with_a_respelled_token_issues_nothing() {
    let (issuer, _server) = http_server(true).await;
    let fields = hidden_fields(&approval_page(&issuer).await);
    let first = post_approval(&issuer, &approving(fields.clone(), "babs")).await;
    assert_eq!(first.status(), 302);
    let token = fields
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.clone())
        .unwrap();
    for respelled in [
        format!("+{token}"),
        format!("0{token}"),
        format!("00{token}"),
        token.clone(),
    ] {
        let again: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| {
                if k == "csrf_token" {
                    (k.clone(), respelled.clone())
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect();
        let refused = post_approval(&issuer, &approving(again, "diana")).await;
        assert_eq!(refused.status(), 403, "{respelled}");
        assert!(refused.headers().get("location").is_none(), "{respelled}");
    }
}

// ---- errors that are never redirected, and what HTTP adds ----

async fn unregistered_redirect(issuer: &str, accept: Option<&str>) -> reqwest::Response {
    let url = url::Url::parse_with_params(
        &format!("{issuer}/authorization"),
        [
            ("response_type", "code"),
            ("client_id", CODE_CLIENT.0),
            ("redirect_uri", "https://attacker.example/cb"),
        ],
    )
    .unwrap();
    let mut request = http_client().get(url);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn an_unredirectable_error_is_a_page_for_a_browser() {
    let (issuer, _server) = http_server(false).await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let page = unregistered_redirect(&issuer, Some(browser)).await;
    assert_eq!(page.status(), 400);
    assert!(page.headers().get("location").is_none());
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let body = page.text().await.unwrap();
    assert!(body.contains("invalid_request"), "{body}");
    assert!(
        body.contains("&quot;https://attacker.example/cb&quot;"),
        "{body}"
    );
}

#[tokio::test]
async fn an_unredirectable_error_is_json_for_any_other_caller() {
    let (issuer, _server) = http_server(false).await;
    for accept in [None, Some("application/json")] {
        let answer = unregistered_redirect(&issuer, accept).await;
        assert_eq!(answer.status(), 400);
        assert!(answer.headers().get("location").is_none());
        assert_eq!(answer.headers()["content-type"], "application/json");
        let error: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
        assert_eq!(error["error"], "invalid_request");
    }
}

#[tokio::test]
async fn a_host_header_naming_another_host_changes_nothing() {
    let (issuer, _server) = http_server(false).await;
    let answer = http_client()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let metadata: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    assert_eq!(metadata["issuer"], issuer.as_str());
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/token"));
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_unread() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (issuer, _server) = http_server(false).await;
    let address = issuer.trim_start_matches("http://");
    // Only the head is sent: the refusal must come from Content-Length
    // alone, before any of the body is read (and so whatever the network
    // does with a body the server never takes).
    let mut tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    tcp.write_all(
        format!(
            "POST /token HTTP/1.1\r\nHost: {address}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n",
            70_000
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut head = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut head))
        .await
        .expect("answered before the body was sent")
        .unwrap();
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
}

#[tokio::test]
async fn a_path_no_endpoint_publishes_is_not_found() {
    let (issuer, _server) = http_server(false).await;
    let answer = http_client()
        .get(format!("{issuer}/admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (issuer, _server) = http_server(false).await;
    let address = issuer.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(address).await.unwrap();
    tcp.write_all(b"GET /jwks.json HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let limit = as_service::http::HEADER_READ_TIMEOUT + Duration::from_secs(5);
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(limit, tcp.read_to_end(&mut answer)).await;
    assert!(
        closed.is_ok(),
        "the connection was still open after {limit:?}"
    );
    assert!(started.elapsed() >= as_service::http::HEADER_READ_TIMEOUT - Duration::from_secs(1));
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}

#[tokio::test]
async fn stopping_the_server_finishes_and_returns() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let mut config = Config::default_config().unwrap();
    config.set_issuer(&issuer).unwrap();
    let keys = KeySet::from_private_jwks(include_str!("../../src/test_support/keys.json")).unwrap();
    let server = AuthServer::new(config, keys).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(as_service::http::serve(listener, server, async {
        let _ = stopped.await;
    }));
    // A keep-alive connection, idle once answered.
    let http = http_client();
    let answer = http
        .get(format!("{issuer}/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(5), serving).await;
    assert!(finished.is_ok(), "the server did not stop");
    assert!(finished.unwrap().unwrap().is_ok());
    assert!(
        http.get(format!("{issuer}/jwks.json"))
            .send()
            .await
            .is_err()
    );
}
