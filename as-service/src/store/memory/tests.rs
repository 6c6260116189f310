use crate::store::TokenTarget;
use oauth_core::scope::Scope;

use super::*;

fn code(expires_at: i64) -> CodeGrant {
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
        target: TokenTarget::default(),
        expires_at,
    }
}

fn grant(id: &str) -> GrantRecord {
    GrantRecord {
        sid: None,
        grant_id: id.into(),
        client_id: "client".into(),
        subject: "diana".into(),
        user: "diana".into(),
        scope: Scope::parse("foobar").unwrap(),
        claims: None,
        auth_time: 0,
        acr: None,
        target: TokenTarget::default(),
        expires_at: 1000,
        revoked: false,
    }
}

#[tokio::test]
async fn a_code_is_taken_once_and_its_replay_revokes_the_grant() {
    let store = MemoryStore::new();
    assert!(store.put_code("c".into(), code(100), 10, 0).await.unwrap());
    assert!(matches!(
        store.take_code("c", "g1").await.unwrap(),
        CodeTake::Fresh(_)
    ));
    store.put_grant(grant("g1")).await.unwrap();
    assert_eq!(
        store.take_code("c", "g2").await.unwrap(),
        CodeTake::Replayed {
            grant_id: "g1".into()
        }
    );
    assert!(store.grant("g1").await.unwrap().unwrap().revoked);
    assert_eq!(
        store.take_code("nope", "g3").await.unwrap(),
        CodeTake::Unknown
    );
}

#[tokio::test]
async fn rotation_spends_the_old_token_and_reuse_revokes_the_family() {
    let store = MemoryStore::new();
    store.put_grant(grant("g")).await.unwrap();
    store
        .put_refresh(
            "r1".into(),
            RefreshRecord {
                grant_id: "g".into(),
                expires_at: 500,
                rotated: false,
                jkt: None,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .rotate_refresh("r1", "r2".into(), 600, 10, None)
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
    assert!(matches!(
        store
            .rotate_refresh("r2", "r3".into(), 600, 10, None)
            .await
            .unwrap(),
        Rotation::Rotated(_)
    ));
    // r1 again: reuse.
    assert_eq!(
        store
            .rotate_refresh("r1", "r4".into(), 600, 10, None)
            .await
            .unwrap(),
        Rotation::Reused {
            grant_id: "g".into()
        }
    );
    // The newest token of the family is dead too.
    assert_eq!(
        store
            .rotate_refresh("r3", "r5".into(), 600, 10, None)
            .await
            .unwrap(),
        Rotation::Revoked
    );
}

#[tokio::test]
async fn expired_refresh_tokens_are_refused_and_purged() {
    let store = MemoryStore::new();
    store.put_grant(grant("g")).await.unwrap();
    store
        .put_refresh(
            "r".into(),
            RefreshRecord {
                grant_id: "g".into(),
                expires_at: 50,
                rotated: false,
                jkt: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .rotate_refresh("r", "r2".into(), 600, 50, None)
            .await
            .unwrap(),
        Rotation::Expired
    );
    store.purge_expired(60).await;
    assert!(store.refresh("r").await.unwrap().is_none());
    assert_eq!(store.grant_count(), 1);
    store.purge_expired(2000).await;
    assert_eq!(store.grant_count(), 0);
}

#[tokio::test]
async fn concurrent_takes_of_one_code_yield_exactly_one_fresh() {
    let store = std::sync::Arc::new(MemoryStore::new());
    assert!(store.put_code("c".into(), code(100), 10, 0).await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.take_code("c", &format!("g{i}")).await.unwrap()
        }));
    }
    let mut fresh = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), CodeTake::Fresh(_)) {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1);
}

#[tokio::test]
async fn a_client_with_max_outstanding_codes_gets_no_more_until_one_is_taken_or_expires() {
    let store = MemoryStore::new();
    assert!(store.put_code("a".into(), code(100), 2, 0).await.unwrap());
    assert!(store.put_code("b".into(), code(100), 2, 0).await.unwrap());
    assert!(!store.put_code("c".into(), code(100), 2, 0).await.unwrap());
    store.take_code("a", "g").await.unwrap();
    assert!(store.put_code("c".into(), code(100), 2, 0).await.unwrap());
    assert!(!store.put_code("d".into(), code(200), 2, 50).await.unwrap());
    // Past the first codes' expiry they no longer count.
    assert!(store.put_code("d".into(), code(200), 2, 150).await.unwrap());
}

#[tokio::test]
async fn throttle_counters_restart_when_their_window_ends() {
    let store = MemoryStore::new();
    assert_eq!(store.hit("k", 100, 0).await.unwrap(), (1, 100));
    assert_eq!(store.hit("k", 150, 50).await.unwrap(), (2, 100));
    assert_eq!(store.count("k", 99).await.unwrap(), (2, 100));
    assert_eq!(store.count("k", 100).await.unwrap(), (0, 100));
    assert_eq!(store.hit("k", 300, 100).await.unwrap(), (1, 300));
}

#[tokio::test]
async fn a_grant_keeps_its_resources_and_authorization_details() {
    let store = MemoryStore::new();
    let mut g = grant("g-target");
    g.target = TokenTarget {
        resources: vec!["https://backend.example.org/".into()],
        authorization_details: Some(r#"[{"type":"customer_information"}]"#.into()),
    };
    store.put_grant(g.clone()).await.unwrap();
    assert_eq!(store.grant("g-target").await.unwrap(), Some(g));
    // Most grants name neither: nothing is kept for them.
    store.put_grant(grant("g-plain")).await.unwrap();
    let plain = store.grant("g-plain").await.unwrap().unwrap();
    assert!(plain.target.is_empty());
}

fn device(expires_at: i64) -> crate::store::DeviceGrant {
    crate::store::DeviceGrant {
        client_id: "client".into(),
        scope: Scope::parse("foobar").unwrap(),
        target: Default::default(),
        expires_at,
        interval: 5,
        state: crate::store::DeviceState::Pending,
    }
}

fn approval() -> crate::store::DeviceState {
    crate::store::DeviceState::Approved(crate::store::DeviceApproval {
        user: "diana".into(),
        subject: "diana".into(),
        auth_time: 0,
        acr: None,
    })
}

/// RFC 8628 §6.1: a user code names one authorization at a time.
#[tokio::test]
async fn a_user_code_in_use_is_not_issued_twice() {
    use crate::store::DeviceStore;
    let store = MemoryStore::new();
    assert!(
        store
            .put_device("d1".into(), "u".into(), device(100), 0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_device("d2".into(), "u".into(), device(100), 0)
            .await
            .unwrap()
    );
    // Once expired, the code is free again.
    assert!(
        store
            .put_device("d3".into(), "u".into(), device(200), 100)
            .await
            .unwrap()
    );
}

/// RFC 8628 §3.3, §3.5: decided once; an approved device code is spent by
/// the poll that redeems it; polls are judged against the interval.
#[tokio::test]
async fn a_device_code_is_decided_once_and_redeemed_once() {
    use crate::store::{DeviceDecision, DevicePoll, DeviceState, DeviceStore};
    let store = MemoryStore::new();
    store
        .put_device("d".into(), "u".into(), device(100), 0)
        .await
        .unwrap();
    assert_eq!(
        store.poll_device("d", "client", 10_000).await.unwrap(),
        DevicePoll::Pending
    );
    assert_eq!(
        store.poll_device("d", "client", 14_999).await.unwrap(),
        DevicePoll::SlowDown { interval: 10 }
    );
    assert_eq!(
        store.poll_device("d", "other", 40_000).await.unwrap(),
        DevicePoll::WrongClient
    );
    assert!(matches!(
        store.decide_device("u", approval(), 20).await.unwrap(),
        DeviceDecision::Decided(_)
    ));
    assert_eq!(
        store
            .decide_device("u", DeviceState::Denied, 20)
            .await
            .unwrap(),
        DeviceDecision::Unknown
    );
    assert!(matches!(
        store.poll_device("d", "client", 40_000).await.unwrap(),
        DevicePoll::Approved(_)
    ));
    assert_eq!(
        store.poll_device("d", "client", 60_000).await.unwrap(),
        DevicePoll::Unknown
    );
    assert_eq!(
        store.poll_device("d", "client", 100_000).await.unwrap(),
        DevicePoll::Unknown
    );
}
