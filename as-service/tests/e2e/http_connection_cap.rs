//! The cap on connections the HTTP front serves at once, on a real server
//! on an ephemeral loopback port: at the cap a new client waits (in the
//! listen backlog) and is answered once a connection closes.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use as_service::config::Config;
use as_service::http::Settings;
use oauth_core::jose::KeySet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CAP: usize = 2;

#[tokio::test]
async fn at_the_cap_a_new_connection_waits_unanswered_until_a_filler_closes() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut config = Config::default_config().unwrap();
    config.set_issuer(&format!("http://{address}")).unwrap();
    let keys = KeySet::from_private_jwks(include_str!("../../src/test_support/keys.json")).unwrap();
    let server = as_service::AuthServer::new(config, keys).unwrap();
    let settings = Settings {
        max_connections: CAP,
        ..Settings::default()
    };
    tokio::spawn(as_service::http::serve_with(
        listener,
        server,
        settings,
        std::future::pending(),
    ));

    // Idle connections fill the cap (well within the idle timeout, after
    // which the server would close them itself).
    let mut fillers = Vec::new();
    for _ in 0..CAP {
        fillers.push(TcpStream::connect(address).await.unwrap());
    }
    // The kernel completes the next handshake (the backlog), but the
    // server does not take the connection: its request goes unanswered.
    let mut waiting = TcpStream::connect(address).await.unwrap();
    waiting
        .write_all(
            format!("GET /jwks.json HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut first = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_secs(2), waiting.read(&mut first)).await;
    assert!(early.is_err(), "answered while the cap was held: {early:?}");
    assert!(as_service::http::IDLE_TIMEOUT > Duration::from_secs(2));

    // The fillers close; the waiting connection is taken and answered.
    drop(fillers);
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), waiting.read_to_end(&mut answer))
        .await
        .expect("not answered once the fillers closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"keys\""), "{answer}");

    // And a new client is served at once.
    let mut fresh = TcpStream::connect(address).await.unwrap();
    fresh
        .write_all(
            format!("GET /jwks.json HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), fresh.read_to_end(&mut answer))
        .await
        .expect("a new client was not answered")
        .unwrap();
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}
