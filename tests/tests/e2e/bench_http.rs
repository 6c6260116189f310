//! `orchestrator bench --token-endpoint --http URL` against the AS's HTTP
//! front on ephemeral loopback ports: HTTP/1.1 keep-alive, h2c, h2 by ALPN
//! over TLS (with --ca), found from the issuer or named directly; a short
//! --duration, every answer a token.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command as Process;

use clap::Parser;
use orchestrator::bench::TokenReport;
use orchestrator::cli::{Cli, Command, Report, measure};

fn args(extra: &[&str]) -> orchestrator::cli::BenchArgs {
    let cli = Cli::parse_from(
        [
            "orchestrator",
            "bench",
            "--token-endpoint",
            "--duration",
            "1",
        ]
        .iter()
        .chain(extra),
    );
    let Command::Bench(args) = cli.command else {
        panic!("not a bench command");
    };
    *args
}

async fn bench(extra: &[&str]) -> TokenReport {
    match measure(&args(extra)).await.unwrap() {
        Report::Tokens(report) => report,
        Report::Stories(_) => panic!("a stories report"),
    }
}

fn auth_server(issuer: &str) -> std::sync::Arc<as_service::AuthServer> {
    let mut config = as_service::config::Config::default_config().unwrap();
    config.set_issuer(issuer).unwrap();
    let keys = oauth_core::jose::KeySet::generate().unwrap();
    as_service::AuthServer::new(config, keys).unwrap()
}

/// The AS's HTTP front on a loopback port; its issuer.
async fn http_front() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let server = auth_server(&issuer);
    tokio::spawn(as_service::http::serve(
        listener,
        server,
        std::future::pending(),
    ));
    issuer
}

fn assert_all_tokens(report: &TokenReport) {
    assert!(report.tokens > 0, "{report:?}");
    assert_eq!(report.errors, 0, "{report:?}");
    assert!(report.tokens_per_second > 0.0);
    assert!(report.latency.p99_ms > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_keep_alive_load_found_from_the_issuer_gets_only_tokens() {
    let issuer = http_front().await;
    let report = bench(&["--http", &issuer, "--concurrency", "4"]).await;
    assert_all_tokens(&report);
    assert_eq!(report.transport, "http/1.1");
    // One connection per worker, kept alive the whole run.
    assert_eq!(report.connections, 4);
    assert_eq!(report.connections_opened, Some(4));
    let json = serde_json::to_value(&report).unwrap();
    for field in ["tokens", "tokens_per_second", "errors"] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
    assert!(json["latency"].get("p99_ms").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_load_on_the_named_token_endpoint_shares_its_connections() {
    let issuer = http_front().await;
    let token_endpoint = format!("{issuer}/token");
    let report = bench(&[
        "--http",
        &token_endpoint,
        "--http-version",
        "2",
        "--concurrency",
        "6",
        "--connections",
        "2",
    ])
    .await;
    assert_all_tokens(&report);
    assert_eq!(report.transport, "h2c");
    assert_eq!(report.connections, 2);
    assert_eq!(report.connections_opened, Some(2));
}

/// A self-signed certificate for 127.0.0.1 made by `openssl`, or `None`.
fn self_signed() -> Option<(PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("bench-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Process::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if made.is_ok_and(|out| out.status.success()) {
        Some((cert, key))
    } else {
        eprintln!(
            "SKIPPED: openssl could not make a test certificate; install openssl to run this test"
        );
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_over_tls_load_trusting_the_given_certificate_gets_only_tokens() {
    let Some((cert, key)) = self_signed() else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("https://{}", listener.local_addr().unwrap());
    let tls = as_service::http::tls::server_config(&cert, &key).unwrap();
    tokio::spawn(as_service::http::serve_tls(
        listener,
        tls,
        auth_server(&issuer),
        std::future::pending(),
    ));
    let cert = cert.to_str().unwrap();
    let report = bench(&[
        "--http",
        &issuer,
        "--http-version",
        "2",
        "--ca",
        cert,
        "--concurrency",
        "4",
        "--connections",
        "2",
    ])
    .await;
    assert_all_tokens(&report);
    assert_eq!(report.transport, "h2");
    // Without the certificate trusted, nothing is sent.
    let untrusted = measure(&args(&["--http", &format!("{issuer}/token")])).await;
    assert!(untrusted.is_err(), "a certificate nobody vouches for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_makes_every_request_an_error() {
    let issuer = http_front().await;
    let report = bench(&[
        "--http",
        &issuer,
        "--client-secret",
        "not the secret",
        "--concurrency",
        "2",
    ])
    .await;
    assert_eq!(report.tokens, 0);
    assert!(report.errors > 0);
}

#[tokio::test]
async fn http_load_with_nothing_listening_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed: SocketAddr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{closed}/token");
    assert!(measure(&args(&["--http", &url])).await.is_err());
}

#[test]
fn http_options_need_an_http_target_and_a_known_version() {
    for line in [
        &[
            "orchestrator",
            "bench",
            "--http",
            "http://127.0.0.1:1/token",
        ][..],
        &[
            "orchestrator",
            "bench",
            "--token-endpoint",
            "--http-version",
            "2",
        ][..],
        &[
            "orchestrator",
            "bench",
            "--token-endpoint",
            "--http",
            "http://127.0.0.1:1/token",
            "--http-version",
            "3",
        ][..],
    ] {
        assert!(Cli::try_parse_from(line).is_err(), "{line:?}");
    }
}

/// gRPC and HTTP against one AS whose issuer is its HTTP front: the Token
/// RPC's envelope names that issuer's token endpoint (--token-url), or
/// the AS refuses every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_load_names_the_token_url_of_the_as_it_loads() {
    let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", http.local_addr().unwrap());
    let grpc_address = grpc.local_addr().unwrap().to_string();
    let server = auth_server(&issuer);
    tokio::spawn(as_service::http::serve(
        http,
        server.clone(),
        std::future::pending(),
    ));
    tokio::spawn(as_service::run(grpc, server, std::future::pending()));
    let token_url = format!("{issuer}/token");
    let over_grpc = bench(&[
        "--as",
        &grpc_address,
        "--token-url",
        &token_url,
        "--concurrency",
        "4",
    ])
    .await;
    assert_all_tokens(&over_grpc);
    assert_eq!(over_grpc.transport, "grpc");
    assert_eq!(over_grpc.connections_opened, None);
    let elsewhere = bench(&["--as", &grpc_address, "--concurrency", "2"]).await;
    assert_eq!(
        elsewhere.tokens, 0,
        "the built-in issuer's URL is not this AS's"
    );
    let over_http = bench(&["--http", &issuer, "--concurrency", "4"]).await;
    assert_all_tokens(&over_http);
}
