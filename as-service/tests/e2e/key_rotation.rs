//! Key rotation: `keys rotate` publishes a new key at once, signs with it
//! from the activation time on, keeps the old key published (and its tokens
//! good) until they have all expired, and a running server follows the key
//! file without a restart.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use as_service::AuthServer;
use as_service::config::Config;
use as_service::keys::{self, KeyFileWatch};
use oauth_core::clock::ManualClock;
use oauth_core::http::HttpRequest;

const START: i64 = 1_900_000_000;

struct Fixture {
    dir: std::path::PathBuf,
    path: std::path::PathBuf,
    clock: ManualClock,
    server: Arc<AuthServer>,
    watch: KeyFileWatch,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join(format!("as-rotation-{}", oauth_core::random::token(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.json");
    let set = keys::load_or_generate(&path).unwrap();
    let mut config = Config::default_config().unwrap();
    config.keys_file = Some(path.clone());
    let clock = ManualClock::new(START);
    let server = AuthServer::build(
        config,
        set,
        Arc::new(as_service::store::MemoryStore::new()),
        Arc::new(clock.clone()),
    )
    .unwrap();
    let watch = KeyFileWatch::new(&path);
    Fixture {
        dir,
        path,
        clock,
        server,
        watch,
    }
}

async fn access_token(server: &AuthServer) -> String {
    let request = HttpRequest::new(
        "POST",
        "https://example.com/token",
        [("Content-Type", "application/x-www-form-urlencoded")],
        "grant_type=client_credentials&client_id=client_1&client_secret=another%20password",
    )
    .unwrap();
    let response = as_service::endpoint::token::handle(server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn published_kids(server: &AuthServer) -> Vec<String> {
    let request = HttpRequest::new("GET", "https://example.com/jwks", [], "").unwrap();
    let response = as_service::endpoint::jwks::handle(server, &request).await;
    assert_eq!(response.status, 200);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn introspect_active(server: &AuthServer, token: &str) -> bool {
    let request = HttpRequest::new(
        "POST",
        "https://example.com/introspection",
        [("Content-Type", "application/x-www-form-urlencoded")],
        format!("token={token}&client_id=client_1&client_secret=another%20password"),
    )
    .unwrap();
    let response = as_service::endpoint::introspection::handle(server, &request).await;
    assert_eq!(response.status, 200, "{}", response.body);
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    body["active"].as_bool().unwrap()
}

fn secret_digest(server: &AuthServer) -> [u8; 32] {
    server.secret_digest("probe")
}

#[tokio::test]
async fn a_rotated_key_is_published_first_signs_later_and_the_old_one_retires() {
    let mut f = fixture();
    let old_token = access_token(&f.server).await;
    let old_kid = kid(&old_token);
    let digest = secret_digest(&f.server);

    let done = keys::rotate_file(&f.path, jsonwebtoken::Algorithm::ES256, START, 60, 600).unwrap();
    assert_eq!(
        (done.activates_at, done.retires_at),
        (START + 60, START + 660)
    );
    as_service::grpc::reload_keys(&f.server, &mut f.watch);

    // Published at once, not yet signing.
    let kids = published_kids(&f.server).await;
    assert!(
        kids.contains(&done.kid) && kids.contains(&old_kid),
        "{kids:?}"
    );
    assert_eq!(kid(&access_token(&f.server).await), old_kid);

    // From the activation time the new key signs; the old key's tokens stay good.
    f.clock.advance(60);
    let new_token = access_token(&f.server).await;
    assert_eq!(kid(&new_token), done.kid);
    assert!(introspect_active(&f.server, &new_token).await);
    f.clock.advance(-60);
    assert!(introspect_active(&f.server, &old_token).await);
    f.clock.advance(60);

    // After retirement the old key is no longer published.
    f.clock.advance(600);
    let kids = published_kids(&f.server).await;
    assert!(
        !kids.contains(&old_kid) && kids.contains(&done.kid),
        "{kids:?}"
    );

    // The server secret (behind registered clients' secret digests and
    // pairwise subjects) survives the rotation.
    assert_eq!(secret_digest(&f.server), digest);
    let restarted = AuthServer::new(
        Config::default_config().unwrap(),
        keys::load_or_generate(&f.path).unwrap(),
    )
    .unwrap();
    assert_eq!(secret_digest(&restarted), digest);
}

#[tokio::test]
async fn a_second_rotation_drops_keys_already_retired() {
    let f = fixture();
    let first = keys::rotate_file(&f.path, jsonwebtoken::Algorithm::ES256, START, 0, 10).unwrap();
    assert_eq!(first.pruned, 0);
    let second =
        keys::rotate_file(&f.path, jsonwebtoken::Algorithm::ES256, START + 100, 0, 10).unwrap();
    assert_eq!(
        second.pruned, 1,
        "the original ES256 key retired at START + 10"
    );
    let set = keys::load_or_generate(&f.path).unwrap();
    let kids: Vec<&str> = set.keys().iter().map(|k| k.kid()).collect();
    assert!(kids.contains(&first.kid.as_str()) && kids.contains(&second.kid.as_str()));
    // The RS256 key was not rotated and stays.
    assert!(set.signing_key(jsonwebtoken::Algorithm::RS256).is_some());
}

#[tokio::test]
async fn a_broken_key_file_is_reported_and_the_server_keeps_its_keys() {
    let mut f = fixture();
    let before = kid(&access_token(&f.server).await);
    std::fs::write(&f.path, "{\"keys\": [").unwrap();
    as_service::grpc::reload_keys(&f.server, &mut f.watch);
    assert_eq!(kid(&access_token(&f.server).await), before);
    assert!(keys::rotate_file(&f.path, jsonwebtoken::Algorithm::ES256, START, 0, 10).is_err());
    assert_eq!(std::fs::read_to_string(&f.path).unwrap(), "{\"keys\": [");
}
