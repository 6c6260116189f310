//! Memory per outstanding grant, and token issuance with 1,000,000 grants
//! outstanding compared with none.
//!
//! `cargo run --release -p as-service --example grants_memory [-- GRANTS]`
//!
//! Each grant is what the authorization code grant leaves behind: a grant
//! record and a refresh token record. Issuance is the whole code grant at
//! the store and token level: store a code, take it, store the grant and a
//! refresh token, sign an ES256 access token.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Instant;

use as_service::AuthServer;
use as_service::config::Config;
use as_service::store::{CodeGrant, GrantRecord, RefreshRecord};
use as_service::tokens::{AccessTokenSpec, mint_jwt_access_token};
use oauth_core::jose::KeySet;
use oauth_core::random;
use oauth_core::scope::Scope;
use oauth_core::secret::fingerprint;

/// Resident memory of this process, bytes (Linux /proc).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

async fn issue_one(server: &AuthServer, scope: &Scope) {
    let now = server.clock.now();
    let code = random::token(32);
    server
        .store
        .put_code(
            fingerprint(&code),
            CodeGrant {
                sid: None,
                client_id: "client".into(),
                redirect_uri: "https://example.com/cb".into(),
                redirect_uri_sent: true,
                scope: scope.clone(),
                subject: "diana".into(),
                user: "diana".into(),
                auth_time: now,
                acr: Some(server.config.login_acr.clone()),
                nonce: None,
                claims: None,
                code_challenge: None,
                dpop_jkt: None,
                target: Default::default(),
                expires_at: now + 600,
            },
            usize::MAX,
            now,
        )
        .await
        .unwrap();
    let grant_id = random::token(16);
    let as_service::store::CodeTake::Fresh(c) = server
        .store
        .take_code(&fingerprint(&code), &grant_id)
        .await
        .unwrap()
    else {
        panic!("the code was just stored");
    };
    server
        .store
        .put_grant(GrantRecord {
            sid: None,
            grant_id: grant_id.clone(),
            client_id: c.client_id.clone(),
            subject: c.subject.clone(),
            user: c.user.clone(),
            scope: c.scope.clone(),
            claims: None,
            auth_time: c.auth_time,
            acr: c.acr.clone(),
            expires_at: now + 43200,
            revoked: false,
            target: Default::default(),
        })
        .await
        .unwrap();
    server
        .store
        .put_refresh(
            fingerprint(&random::token(32)),
            RefreshRecord {
                grant_id: grant_id.clone(),
                expires_at: now + 43200,
                rotated: false,
                jkt: None,
            },
        )
        .await
        .unwrap();
    let (token, _) = mint_jwt_access_token(
        server,
        &AccessTokenSpec {
            client_id: &c.client_id,
            subject: &c.subject,
            scope: &c.scope,
            lifetime: 600,
            audience: None,
            grant_id: Some(&grant_id),
            jkt: None,
            authorization_details: None,
        },
    )
    .unwrap();
    std::hint::black_box(token);
}

/// Issuances per second: the median of 7 rounds, so a noisy neighbour on
/// the machine moves one round, not the figure.
async fn issuance_rate(server: &AuthServer, scope: &Scope, n: usize) -> f64 {
    let mut rates = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        for _ in 0..n / 7 {
            issue_one(server, scope).await;
        }
        rates.push((n / 7) as f64 / started.elapsed().as_secs_f64());
    }
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let grants: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let server = AuthServer::new(
        Config::default_config().unwrap(),
        KeySet::generate().unwrap(),
    )
    .unwrap();
    let scope = Scope::parse("foobar openid").unwrap();
    let samples = 20_000;
    // Warm up, then the rate with an (almost) empty store.
    issuance_rate(&server, &scope, 2_000).await;
    let empty_rate = issuance_rate(&server, &scope, samples).await;
    let before = rss();
    let started = Instant::now();
    for _ in 0..grants {
        issue_one_grant_only(&server, &scope).await;
    }
    let fill_seconds = started.elapsed().as_secs_f64();
    let after = rss();
    let full_rate = issuance_rate(&server, &scope, samples).await;
    let per_grant = (after.saturating_sub(before)) as f64 / grants as f64;
    println!(
        "{{\"grants\": {grants}, \"rss_before_mb\": {:.1}, \"rss_after_mb\": {:.1}, \"bytes_per_grant\": {per_grant:.0}, \
\"fill_seconds\": {fill_seconds:.2}, \"issuance_per_second_empty\": {empty_rate:.0}, \
\"issuance_per_second_full\": {full_rate:.0}, \"ratio\": {:.3}}}",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        full_rate / empty_rate
    );
}

/// The state one code grant leaves behind: a grant and its refresh token.
async fn issue_one_grant_only(server: &AuthServer, scope: &Scope) {
    let grant_id = random::token(16);
    server
        .store
        .put_refresh(
            fingerprint(&random::token(32)),
            RefreshRecord {
                grant_id: grant_id.clone(),
                expires_at: i64::MAX,
                rotated: false,
                jkt: None,
            },
        )
        .await
        .unwrap();
    server
        .store
        .put_grant(GrantRecord {
            sid: None,
            grant_id,
            client_id: "client".into(),
            subject: "diana".into(),
            user: "diana".into(),
            scope: scope.clone(),
            claims: None,
            auth_time: 0,
            acr: Some(server.config.login_acr.clone()),
            expires_at: i64::MAX,
            revoked: false,
            target: Default::default(),
        })
        .await
        .unwrap();
}
