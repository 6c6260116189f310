//! The store can fail: a Redis server of the test's own is stopped under a
//! running AS. While it is down no code is issued (the answer is a
//! `temporarily_unavailable` redirect, never a code whose record was not
//! written); once it is back the same AS serves again, without a restart.
//!
//! Needs `redis-server` on the PATH, so it is ignored by default: `cargo
//! test -p e2e-tests --test e2e -- --include-ignored store_outage::` runs it
//! (.ci/run installs the server and does); without the server it fails and
//! says why.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use as_service::AuthServer;
use as_service::config::Config;
use as_service::store::RedisStore;
use e2e_tests::{as_client, authorization_request, redirect_params};
use oauth_core::jose::KeySet;
use tokio::net::TcpListener;

/// A redis-server of this test's own, on a port picked for it.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn start(port: u16) -> Option<Self> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let redis = Self {
            port,
            child: Some(child),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(redis);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const QUERY: &str = "response_type=code&client_id=client&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&scope=foobar&state=s1";

#[tokio::test]
#[ignore = "starts redis-server itself (it must be on PATH); run with --include-ignored, as .ci/run does"]
async fn with_redis_stopped_no_code_is_issued_and_the_as_recovers_when_it_returns() {
    let port = free_port();
    let Some(mut redis) = OwnRedis::start(port) else {
        panic!("this test needs redis-server on PATH (apt-get install redis-server)");
    };
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let store = Arc::new(RedisStore::connect(&url).await.unwrap());
    let server = AuthServer::build(
        Config::default_config().unwrap(),
        KeySet::generate().unwrap(),
        store,
        Arc::new(oauth_core::clock::SystemClock),
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(as_service::run(listener, server, async {
        let _ = stopped.await;
    }));
    let mut client = as_client(addr).await;

    // Up: a code.
    let up = client
        .authorization(authorization_request(QUERY))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(up.status, 302);
    assert!(redirect_params(&up).contains_key("code"));

    // Down: the AS answers, refuses, and hands out no code.
    redis.stop();
    let down = client
        .authorization(authorization_request(QUERY))
        .await
        .unwrap()
        .into_inner();
    let params = redirect_params(&down);
    assert_eq!(down.status, 302, "the error goes back to the client");
    assert!(!params.contains_key("code"), "no code without its record");
    assert_eq!(params["error"], "temporarily_unavailable");
    assert_eq!(params["state"], "s1");
    // The token endpoint, too, says so rather than "invalid_grant" (for a
    // code in the form this server mints, which only the store can judge).
    let code = oauth_core::random::token(32);
    let token = client
        .token(e2e_tests::token_request(
            &format!(
                "grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fexample.com%2Fcb"
            ),
            &[("Authorization", &e2e_tests::client_basic())],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(token.status, 503, "{}", token.body);
    assert_eq!(e2e_tests::body(&token)["error"], "temporarily_unavailable");
    assert!(token.headers.contains_key("retry-after"));

    // Back on the same port: the same AS serves again.
    let mut redis = OwnRedis::start(port).expect("redis-server restarts");
    let mut recovered = false;
    for _ in 0..50 {
        let again = client
            .authorization(authorization_request(QUERY))
            .await
            .unwrap()
            .into_inner();
        if redirect_params(&again).contains_key("code") {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the AS serves again once Redis is back");
    let _ = stop.send(());
    let _ = task.await;
    redis.stop();
}
