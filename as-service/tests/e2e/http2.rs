//! HTTP/2 on the HTTP front, real servers on ephemeral loopback ports and
//! hyper's own client: h2c with prior knowledge and HTTP/1.1 on one plain
//! port, h2 and HTTP/1.1 by ALPN over TLS, and the connections the front
//! closes by itself (silent, a half-sent preface, idle HTTP/2).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use as_service::AuthServer;
use as_service::config::Config;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use oauth_core::jose::KeySet;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

/// From deploy/as.toml.
const CLIENT_1: (&str, &str) = ("client_1", "another password");

fn auth_server(issuer: &str) -> Arc<AuthServer> {
    let mut config = Config::default_config().unwrap();
    config.set_issuer(issuer).unwrap();
    let keys = KeySet::from_private_jwks(include_str!("../../src/test_support/keys.json")).unwrap();
    AuthServer::new(config, keys).unwrap()
}

/// An in-process AS serving plain HTTP on an ephemeral loopback port.
async fn plain_front() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = auth_server(&format!("http://{address}"));
    tokio::spawn(as_service::http::serve(
        listener,
        server,
        std::future::pending(),
    ));
    address
}

/// An in-process AS serving HTTPS with `cert` and `key`.
async fn tls_front(cert: &Path, key: &Path) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = auth_server(&format!("https://{address}"));
    let tls = as_service::http::tls::server_config(cert, key).unwrap();
    tokio::spawn(as_service::http::serve_tls(
        listener,
        tls,
        server,
        std::future::pending(),
    ));
    address
}

/// A self-signed certificate for 127.0.0.1 made by `openssl`, or `None`
/// (the test is then skipped, said on stderr).
fn self_signed(name: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("as-http2-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        // A server certificate, not a CA's (webpki refuses a CA as the
        // server's own).
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

/// A TLS connection to `address` trusting only `cert`, offering `alpn`.
async fn tls_connect(
    address: SocketAddr,
    cert: &Path,
    alpn: &[u8],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(address).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// client_1's client_credentials request (client_secret_basic) to `uri`:
/// the absolute URL for HTTP/2, the path for HTTP/1.1 (with `Host`).
fn token_request(uri: &str, host: Option<&str>) -> hyper::Request<Full<Bytes>> {
    let secret = oauth_core::secret::Secret::new(CLIENT_1.1);
    let mut request = hyper::Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            oauth_core::client_auth::basic_header(CLIENT_1.0, &secret),
        );
    if let Some(host) = host {
        request = request.header("host", host);
    }
    request
        .body(Full::new(Bytes::from_static(
            b"grant_type=client_credentials",
        )))
        .unwrap()
}

/// The token endpoint's answer: a 200 in `version` with a signed token.
async fn assert_token(response: hyper::Response<hyper::body::Incoming>, version: hyper::Version) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), version);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let token: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["scope"], "resourceA");
    assert!(token["access_token"].as_str().unwrap().starts_with("eyJ"));
}

/// HTTP/2 over `io`: the request sender, its connection driven by a task.
async fn h2<I>(io: I) -> hyper::client::conn::http2::SendRequest<Full<Bytes>>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io))
            .await
            .unwrap();
    tokio::spawn(conn);
    sender
}

/// HTTP/1.1 over `io`.
async fn h1<I>(io: I) -> hyper::client::conn::http1::SendRequest<Full<Bytes>>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

#[tokio::test]
async fn h2c_with_prior_knowledge_gets_a_token_from_the_token_endpoint() {
    let address = plain_front().await;
    let mut sender = h2(TcpStream::connect(address).await.unwrap()).await;
    let url = format!("http://{address}/token");
    // Several streams at once on the one connection.
    let answers: Vec<_> = (0..8)
        .map(|_| sender.send_request(token_request(&url, None)))
        .collect();
    for answer in answers {
        assert_token(answer.await.unwrap(), hyper::Version::HTTP_2).await;
    }
    sender.ready().await.unwrap();
    let again = sender.send_request(token_request(&url, None)).await;
    assert_token(again.unwrap(), hyper::Version::HTTP_2).await;
}

#[tokio::test]
async fn http1_on_the_same_plain_port_is_served_as_before() {
    let address = plain_front().await;
    let mut sender = h1(TcpStream::connect(address).await.unwrap()).await;
    let host = address.to_string();
    for _ in 0..3 {
        // Keep-alive: the three on one connection.
        sender.ready().await.unwrap();
        let answer = sender.send_request(token_request("/token", Some(&host)));
        assert_token(answer.await.unwrap(), hyper::Version::HTTP_11).await;
    }
}

#[tokio::test]
async fn an_https_client_negotiating_h2_by_alpn_gets_a_token() {
    let Some((cert, key)) = self_signed("h2") else {
        return;
    };
    let address = tls_front(&cert, &key).await;
    let tls = tls_connect(address, &cert, b"h2").await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let mut sender = h2(tls).await;
    let answer = sender
        .send_request(token_request(&format!("https://{address}/token"), None))
        .await;
    assert_token(answer.unwrap(), hyper::Version::HTTP_2).await;
}

#[tokio::test]
async fn an_https_client_negotiating_http1_by_alpn_is_served_http1() {
    let Some((cert, key)) = self_signed("h1") else {
        return;
    };
    let address = tls_front(&cert, &key).await;
    let tls = tls_connect(address, &cert, b"http/1.1").await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let mut sender = h1(tls).await;
    let answer = sender
        .send_request(token_request("/token", Some(&address.to_string())))
        .await;
    assert_token(answer.unwrap(), hyper::Version::HTTP_11).await;
}

/// Reads until the server closes `tcp`; how long that took, or `None` if
/// it was still open after `limit`.
async fn closed_within(tcp: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut seen = Vec::new();
    tokio::time::timeout(limit, tcp.read_to_end(&mut seen))
        .await
        .ok()
        .map(|_| started.elapsed())
}

#[tokio::test]
async fn a_silent_connection_and_a_half_sent_preface_are_closed_once_idle() {
    let address = plain_front().await;
    let mut silent = TcpStream::connect(address).await.unwrap();
    let mut half = TcpStream::connect(address).await.unwrap();
    // The first bytes of the HTTP/2 preface, and no more: the server cannot
    // yet tell which version this is.
    half.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let limit = as_service::http::IDLE_TIMEOUT + Duration::from_secs(5);
    let (silent, half) = tokio::join!(
        closed_within(&mut silent, limit),
        closed_within(&mut half, limit)
    );
    for took in [silent, half] {
        let took = took.expect("the connection was still open");
        assert!(took >= as_service::http::IDLE_TIMEOUT - Duration::from_secs(1));
    }
}

#[tokio::test]
async fn an_idle_h2c_connection_is_closed_after_the_idle_timeout() {
    let address = plain_front().await;
    let tcp = TcpStream::connect(address).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let answer = sender
        .send_request(token_request(&format!("http://{address}/token"), None))
        .await;
    assert_token(answer.unwrap(), hyper::Version::HTTP_2).await;
    let started = Instant::now();
    let limit = as_service::http::IDLE_TIMEOUT + Duration::from_secs(5);
    // The server's GOAWAY ends the client's connection, without an error.
    let ended = tokio::time::timeout(limit, conn).await;
    assert!(ended.is_ok(), "still open after {limit:?}");
    assert!(ended.unwrap().unwrap().is_ok());
    assert!(started.elapsed() >= as_service::http::IDLE_TIMEOUT - Duration::from_secs(1));
    assert!(sender.is_closed());
}

#[tokio::test]
async fn stopping_the_server_closes_an_h2c_connection_gracefully() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = auth_server(&format!("http://{address}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(as_service::http::serve(listener, server, async {
        let _ = stopped.await;
    }));
    let tcp = TcpStream::connect(address).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    let conn = tokio::spawn(conn);
    let answer = sender
        .send_request(token_request(&format!("http://{address}/token"), None))
        .await;
    assert_token(answer.unwrap(), hyper::Version::HTTP_2).await;
    stop.send(()).unwrap();
    let wait = Duration::from_secs(5);
    let finished = tokio::time::timeout(wait, serving).await;
    assert!(finished.is_ok(), "the server did not stop");
    assert!(finished.unwrap().unwrap().is_ok());
    let ended = tokio::time::timeout(wait, conn).await;
    assert!(ended.is_ok(), "the client's connection is still open");
}

/// As the binary serves it: connections dealt round two single-threaded
/// shards, each answered there, over either version.
#[tokio::test]
async fn connections_dealt_over_shards_are_answered_over_either_version() {
    let shards = oidc_story_serve::shards::Shards::start(2).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let settings = as_service::http::Settings {
        runtimes: (0..shards.len())
            .map(|i| shards.handle(i).clone())
            .collect(),
        ..as_service::http::Settings::default()
    };
    tokio::spawn(as_service::http::serve_with(
        listener,
        auth_server(&format!("http://{address}")),
        settings,
        std::future::pending(),
    ));
    let url = format!("http://{address}/token");
    for _ in 0..2 {
        let mut h2c = h2(TcpStream::connect(address).await.unwrap()).await;
        let answer = h2c.send_request(token_request(&url, None)).await;
        assert_token(answer.unwrap(), hyper::Version::HTTP_2).await;
        let mut http1 = h1(TcpStream::connect(address).await.unwrap()).await;
        let answer = http1
            .send_request(token_request("/token", Some(&address.to_string())))
            .await;
        assert_token(answer.unwrap(), hyper::Version::HTTP_11).await;
    }
}
