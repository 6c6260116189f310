//! `orchestrator bench` with its load dealt over threads, and the servers
//! dealing their connections over threads: every story and token counted,
//! none failed, embedded, against services on loopback, and against the
//! sharded servers the binaries run.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use clap::Parser;
use e2e_tests::start;
use oidc_story_serve::shards::Shards;
use orchestrator::cli::{Cli, Command, Report, measure};

async fn bench(args: &[&str]) -> Report {
    let cli = Cli::parse_from(["orchestrator", "bench"].iter().chain(args));
    let Command::Bench(args) = cli.command else {
        panic!("not a bench command");
    };
    measure(&args).await.unwrap()
}

fn stories(report: Report) -> orchestrator::bench::StoriesReport {
    match report {
        Report::Stories(r) => r,
        Report::Tokens(_) => panic!("a token report"),
    }
}

fn tokens(report: Report) -> orchestrator::bench::TokenReport {
    match report {
        Report::Tokens(r) => r,
        Report::Stories(_) => panic!("a stories report"),
    }
}

#[tokio::test]
async fn stories_dealt_over_two_threads_all_complete_embedded() {
    let report = stories(
        bench(&[
            "oauth2_code",
            "oidc_code",
            "--concurrency",
            "4",
            "--threads",
            "2",
            "--iterations",
            "12",
        ])
        .await,
    );
    assert_eq!((report.completed, report.errors), (12, 0));
    // One round-robin over all workers: the mix is exact, however much
    // faster one story is than the other.
    assert_eq!(report.story_latency["oauth2_code"].count, 6);
    assert_eq!(report.story_latency["oidc_code"].count, 6);
    assert!(report.grpc_calls_per_second > 0.0);
}

#[tokio::test]
async fn token_load_over_three_connections_on_two_threads_embedded() {
    let report = tokens(
        bench(&[
            "--token-endpoint",
            "--concurrency",
            "8",
            "--connections",
            "3",
            "--threads",
            "2",
            "--iterations",
            "60",
        ])
        .await,
    );
    assert_eq!((report.tokens, report.errors), (60, 0));
    assert_eq!(report.connections, 3);
}

/// The transport alone: every health Check against a real AS is answered
/// SERVING and counted as such, and the report says what was called.
#[tokio::test]
async fn health_check_load_against_an_as_on_loopback_counts_every_call() {
    let services = start().await;
    let a = services.as_addr.to_string();
    let report = tokens(
        bench(&[
            "--health-check",
            "--as",
            &a,
            "--concurrency",
            "6",
            "--connections",
            "2",
            "--iterations",
            "50",
        ])
        .await,
    );
    assert_eq!((report.tokens, report.errors), (50, 0));
    assert_eq!(report.rpc, orchestrator::bench::LoadRpc::HealthCheck);
    assert!(orchestrator::bench::token_text(&report).starts_with("50 health checks in "));
}

/// Where nothing listens there is no load to measure: a clear error, not a
/// report of zero calls.
#[tokio::test]
async fn health_check_load_with_no_as_listening_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = listener.local_addr().unwrap().to_string();
    drop(listener);
    let cli = Cli::parse_from([
        "orchestrator",
        "bench",
        "--health-check",
        "--as",
        &closed,
        "--iterations",
        "3",
    ]);
    let Command::Bench(args) = cli.command else {
        panic!("not a bench command");
    };
    assert!(measure(&args).await.is_err(), "no AS to connect to");
}

#[tokio::test]
async fn stories_dealt_over_two_threads_against_services_on_loopback() {
    let services = start().await;
    let (a, r) = (services.as_addr.to_string(), services.rp_addr.to_string());
    let report = stories(
        bench(&[
            "oauth2_code",
            "--as",
            &a,
            "--rp",
            &r,
            "--concurrency",
            "3",
            "--threads",
            "2",
            "--iterations",
            "6",
        ])
        .await,
    );
    assert_eq!((report.completed, report.errors), (6, 0));
}

/// The servers as their binaries run them: each accepted connection on one
/// of two threads, one AS and one RP behind them all.
#[tokio::test]
async fn sharded_servers_answer_stories_and_tokens_on_every_connection() {
    let server = as_service::AuthServer::new(
        as_service::config::Config::default_config().unwrap(),
        oauth_core::jose::KeySet::generate().unwrap(),
    )
    .unwrap();
    let rp = rp_service::RelyingParty::new(rp_service::config::Config::default_config().unwrap());
    let as_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rp_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = as_listener.local_addr().unwrap().to_string();
    let r = rp_listener.local_addr().unwrap().to_string();
    let (as_shards, rp_shards) = (Shards::start(2).unwrap(), Shards::start(2).unwrap());
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let load = async {
        let story_report = stories(
            bench(&[
                "oauth2_code",
                "oidc_code",
                "--as",
                &a,
                "--rp",
                &r,
                "--concurrency",
                "4",
                "--threads",
                "2",
                "--iterations",
                "8",
            ])
            .await,
        );
        let token_report = tokens(
            bench(&[
                "--token-endpoint",
                "--as",
                &a,
                "--connections",
                "4",
                "--concurrency",
                "8",
                "--iterations",
                "40",
            ])
            .await,
        );
        stop.send(true).unwrap();
        (story_report, token_report)
    };
    let (served_as, served_rp, (story_report, token_report)) = tokio::join!(
        as_service::run_sharded(
            as_listener,
            Arc::clone(&server),
            &as_shards,
            stopping.clone()
        ),
        rp_service::run_sharded(rp_listener, rp, &rp_shards, stopping),
        load
    );
    served_as.unwrap();
    served_rp.unwrap();
    assert_eq!((story_report.completed, story_report.errors), (8, 0));
    assert_eq!((token_report.tokens, token_report.errors), (40, 0));
}

#[test]
fn health_check_and_token_endpoint_loads_are_one_or_the_other() {
    let both = Cli::try_parse_from([
        "orchestrator",
        "bench",
        "--health-check",
        "--token-endpoint",
    ]);
    assert!(both.is_err(), "the two loads exclude each other");
    let with_story =
        Cli::try_parse_from(["orchestrator", "bench", "--health-check", "oauth2_code"]);
    assert!(with_story.is_err(), "a health check load runs no story");
}
