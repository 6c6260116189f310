//! The memory store's hot operations — taking a code, rotating a refresh
//! token — with an empty store and with 1,000,000 outstanding grants, to
//! show the cost does not grow with the number of grants.
//!
//! `cargo bench -p as-service --bench store`
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use as_service::store::{
    CodeGrant, CodeStore, GrantRecord, GrantStore, MemoryStore, RefreshRecord, RefreshTokenStore,
};
use criterion::{Criterion, criterion_group, criterion_main};
use oauth_core::random;
use oauth_core::scope::Scope;
use oauth_core::secret::fingerprint;

fn code() -> CodeGrant {
    CodeGrant {
        sid: None,
        client_id: "client".into(),
        redirect_uri: "https://example.com/cb".into(),
        redirect_uri_sent: true,
        scope: Scope::parse("foobar").unwrap(),
        subject: "diana".into(),
        user: "diana".into(),
        auth_time: 0,
        acr: None,
        nonce: None,
        claims: None,
        code_challenge: None,
        dpop_jkt: None,
        target: Default::default(),
        expires_at: i64::MAX,
    }
}

/// A store holding `n` grants, each with a refresh token.
async fn preloaded(n: usize) -> MemoryStore {
    let store = MemoryStore::new();
    let scope = Scope::parse("foobar openid").unwrap();
    for _ in 0..n {
        let grant_id = random::token(16);
        store
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
        store
            .put_grant(GrantRecord {
                sid: None,
                grant_id,
                client_id: "client".into(),
                subject: "diana".into(),
                user: "diana".into(),
                scope: scope.clone(),
                claims: None,
                auth_time: 0,
                acr: None,
                expires_at: i64::MAX,
                revoked: false,
                target: Default::default(),
            })
            .await
            .unwrap();
    }
    store
}

fn store_operations(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (label, n) in [("empty", 0usize), ("1M grants", 1_000_000)] {
        let store = rt.block_on(preloaded(n));
        c.bench_function(&format!("code_put_and_take/{label}"), |b| {
            b.to_async(&rt).iter(|| async {
                let key = fingerprint(&random::token(32));
                store
                    .put_code(key.clone(), code(), usize::MAX, 0)
                    .await
                    .unwrap();
                black_box(store.take_code(&key, "grant").await.unwrap())
            })
        });
        // One family rotated again and again: each iteration spends the
        // current token and stores its successor.
        let grant_id = random::token(16);
        let first = fingerprint(&random::token(32));
        rt.block_on(async {
            store
                .put_grant(GrantRecord {
                    sid: None,
                    grant_id: grant_id.clone(),
                    client_id: "client".into(),
                    subject: "diana".into(),
                    user: "diana".into(),
                    scope: Scope::parse("foobar").unwrap(),
                    claims: None,
                    auth_time: 0,
                    acr: None,
                    expires_at: i64::MAX,
                    revoked: false,
                    target: Default::default(),
                })
                .await
                .unwrap();
            store
                .put_refresh(
                    first.clone(),
                    RefreshRecord {
                        grant_id,
                        expires_at: i64::MAX,
                        rotated: false,
                        jkt: None,
                    },
                )
                .await
                .unwrap();
        });
        let current = std::cell::RefCell::new(first);
        c.bench_function(&format!("refresh_rotation/{label}"), |b| {
            b.to_async(&rt).iter(|| async {
                let next = fingerprint(&random::token(32));
                let old = current.replace(next.clone());
                black_box(
                    store
                        .rotate_refresh(&old, next, i64::MAX, 0, None)
                        .await
                        .unwrap(),
                )
            })
        });
    }
}

criterion_group!(benches, store_operations);
criterion_main!(benches);
