//! The in-memory store: one mutex over plain maps. Every operation is a
//! handful of hash-map steps under the lock, so the lock is never held
//! across an await or any I/O, and a multi-step guarantee (take a code and
//! mark it spent; spend a refresh token and store its successor) happens
//! under one acquisition.
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    AccessTokenStore, ClientStore, CodeGrant, CodeStore, CodeTake, GrantRecord, GrantStore,
    ParStore, ParTake, PushedRequest, RefreshRecord, RefreshTokenStore, ReplayStore,
    RevocationStore, Rotation, Store, StoreResult, ThrottleStore,
};
use crate::config::Client;

#[derive(Debug)]
enum CodeState {
    Unused(Box<CodeGrant>),
    Spent { grant_id: String },
}

#[derive(Debug)]
struct CodeEntry {
    expires_at: i64,
    /// The client it was issued to, while unused (for the per-client cap).
    client: Option<Arc<str>>,
    state: CodeState,
}

/// A map key that needs no allocation: a short id inline (its length
/// first), a longer one (a fingerprint) by its SHA-256 (first byte 0xFF, so
/// the two forms never meet). Grants and refresh tokens are the state that
/// grows with use, so their maps hold fixed-size keys and compact values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key([u8; 32]);

impl Key {
    fn of(id: &str) -> Self {
        let bytes = id.as_bytes();
        let mut key = [0u8; 32];
        if bytes.len() < 32 {
            key[0] = bytes.len() as u8;
            key[1..=bytes.len()].copy_from_slice(bytes);
        } else {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
            key.copy_from_slice(digest.as_ref());
            key[0] = 0xFF;
        }
        Self(key)
    }

    /// The id back, for keys made from short ids (grant ids are 22
    /// characters, well under the 31 kept inline).
    fn id(&self) -> String {
        let len = usize::from(self.0[0]).min(31);
        String::from_utf8_lossy(&self.0[1..=len]).into_owned()
    }
}

/// A grant as kept: strings that repeat across grants (client, user, scope,
/// acr) shared through the interner.
#[derive(Debug)]
struct StoredGrant {
    client_id: Arc<str>,
    subject: Arc<str>,
    user: Arc<str>,
    scope: Arc<str>,
    claims: Option<Arc<str>>,
    acr: Option<Arc<str>>,
    auth_time: i64,
    expires_at: i64,
    revoked: bool,
}

#[derive(Debug)]
struct StoredRefresh {
    grant: Key,
    expires_at: i64,
    rotated: bool,
    jkt: Option<Arc<str>>,
}

#[derive(Debug, Default)]
struct Inner {
    codes: HashMap<String, CodeEntry>,
    grants: HashMap<Key, StoredGrant>,
    refresh: HashMap<Key, StoredRefresh>,
    strings: std::collections::HashSet<Arc<str>>,
    revoked_access_tokens: HashMap<String, i64>,
    /// Registered clients and when they expire unless used.
    clients: HashMap<String, (Arc<Client>, i64)>,
    pushed: HashMap<String, PushedRequest>,
    /// Replay cache: fingerprints of seen values, until when.
    seen: HashMap<Key, i64>,
    /// Unused codes per client.
    outstanding: HashMap<Arc<str>, usize>,
    /// Throttle counters: count and end of window.
    counters: HashMap<Key, (u64, i64)>,
    /// Opaque access tokens: their claims (JSON) and expiry.
    access_tokens: HashMap<Key, (String, i64)>,
}

impl Inner {
    /// One unused code of `client` is gone (taken or expired).
    fn code_gone(&mut self, client: &Arc<str>) {
        if let Some(n) = self.outstanding.get_mut(client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.outstanding.remove(client);
            }
        }
    }

    fn revoke(&mut self, grant_id: &str) {
        if let Some(grant) = self.grants.get_mut(&Key::of(grant_id)) {
            grant.revoked = true;
        }
    }

    /// One shared copy of a string that many records repeat.
    fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        self.strings.insert(shared.clone());
        shared
    }

    fn store_grant(&mut self, g: GrantRecord) -> (Key, StoredGrant) {
        let stored = StoredGrant {
            client_id: self.intern(&g.client_id),
            subject: self.intern(&g.subject),
            user: self.intern(&g.user),
            scope: self.intern(&g.scope.to_string()),
            claims: g.claims.as_deref().map(|c| self.intern(c)),
            acr: g.acr.as_deref().map(|a| self.intern(a)),
            auth_time: g.auth_time,
            expires_at: g.expires_at,
            revoked: g.revoked,
        };
        (Key::of(&g.grant_id), stored)
    }
}

fn load_grant(grant_id: String, g: &StoredGrant) -> GrantRecord {
    GrantRecord {
        grant_id,
        client_id: g.client_id.to_string(),
        subject: g.subject.to_string(),
        user: g.user.to_string(),
        // Stored from a valid Scope, so it parses.
        scope: oauth_core::scope::Scope::parse(&g.scope).unwrap_or_default(),
        claims: g.claims.as_deref().map(str::to_owned),
        auth_time: g.auth_time,
        acr: g.acr.as_deref().map(str::to_owned),
        expires_at: g.expires_at,
        revoked: g.revoked,
    }
}

fn load_refresh(r: &StoredRefresh) -> RefreshRecord {
    RefreshRecord {
        grant_id: r.grant.id(),
        expires_at: r.expires_at,
        rotated: r.rotated,
        jkt: r.jkt.as_deref().map(str::to_owned),
    }
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every critical section leaves the maps consistent at each step,
        // so a panic elsewhere while holding the lock leaves nothing torn.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of grants held (for tests and the memory benchmark).
    pub fn grant_count(&self) -> usize {
        self.lock().grants.len()
    }
}

#[async_trait]
impl CodeStore for MemoryStore {
    async fn put_code(
        &self,
        fingerprint: String,
        grant: CodeGrant,
        max_outstanding: usize,
        now: i64,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        let client = inner.intern(&grant.client_id);
        let outstanding = inner.outstanding.get(&client).copied().unwrap_or(0);
        if outstanding >= max_outstanding {
            // Expired codes still count until purged: purge this client's now.
            let expired: Vec<String> = inner
                .codes
                .iter()
                .filter(|(_, c)| c.expires_at <= now && c.client.as_ref() == Some(&client))
                .map(|(k, _)| k.clone())
                .collect();
            for key in &expired {
                inner.codes.remove(key);
                inner.code_gone(&client);
            }
            if inner.outstanding.get(&client).copied().unwrap_or(0) >= max_outstanding {
                return Ok(false);
            }
        }
        *inner.outstanding.entry(client.clone()).or_insert(0) += 1;
        let expires_at = grant.expires_at;
        inner.codes.insert(
            fingerprint,
            CodeEntry {
                expires_at,
                client: Some(client),
                state: CodeState::Unused(Box::new(grant)),
            },
        );
        Ok(true)
    }

    async fn take_code(&self, fingerprint: &str, grant_id: &str) -> StoreResult<CodeTake> {
        let mut inner = self.lock();
        let Some(entry) = inner.codes.get_mut(fingerprint) else {
            return Ok(CodeTake::Unknown);
        };
        let spent = CodeState::Spent {
            grant_id: grant_id.to_owned(),
        };
        let client = entry.client.take();
        match std::mem::replace(&mut entry.state, spent) {
            CodeState::Unused(grant) => {
                if let Some(client) = client {
                    inner.code_gone(&client);
                }
                Ok(CodeTake::Fresh(grant))
            }
            CodeState::Spent { grant_id: first } => {
                // Keep pointing at the first grant, and revoke it (RFC 6749 §4.1.2).
                entry.state = CodeState::Spent {
                    grant_id: first.clone(),
                };
                inner.revoke(&first);
                Ok(CodeTake::Replayed { grant_id: first })
            }
        }
    }
}

#[async_trait]
impl GrantStore for MemoryStore {
    async fn put_grant(&self, grant: GrantRecord) -> StoreResult<()> {
        let mut inner = self.lock();
        let (key, stored) = inner.store_grant(grant);
        inner.grants.insert(key, stored);
        Ok(())
    }

    async fn grant(&self, grant_id: &str) -> StoreResult<Option<GrantRecord>> {
        let inner = self.lock();
        Ok(inner
            .grants
            .get(&Key::of(grant_id))
            .map(|stored| load_grant(grant_id.to_owned(), stored)))
    }

    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()> {
        self.lock().revoke(grant_id);
        Ok(())
    }

    async fn extend_grant(&self, grant_id: &str, expires_at: i64) -> StoreResult<()> {
        if let Some(grant) = self.lock().grants.get_mut(&Key::of(grant_id)) {
            grant.expires_at = grant.expires_at.max(expires_at);
        }
        Ok(())
    }
}

#[async_trait]
impl RefreshTokenStore for MemoryStore {
    async fn put_refresh(&self, fingerprint: String, record: RefreshRecord) -> StoreResult<()> {
        let mut inner = self.lock();
        let jkt = record.jkt.as_deref().map(|j| inner.intern(j));
        inner.refresh.insert(
            Key::of(&fingerprint),
            StoredRefresh {
                grant: Key::of(&record.grant_id),
                expires_at: record.expires_at,
                rotated: record.rotated,
                jkt,
            },
        );
        Ok(())
    }

    async fn refresh(&self, fingerprint: &str) -> StoreResult<Option<RefreshRecord>> {
        Ok(self
            .lock()
            .refresh
            .get(&Key::of(fingerprint))
            .map(load_refresh))
    }

    async fn rotate_refresh(
        &self,
        old: &str,
        new: String,
        new_expires_at: i64,
        now: i64,
        bind_jkt: Option<&str>,
    ) -> StoreResult<Rotation> {
        let mut inner = self.lock();
        let old = Key::of(old);
        let Some(record) = inner.refresh.get(&old).map(load_refresh) else {
            return Ok(Rotation::Unknown);
        };
        if record.rotated {
            inner.revoke(&record.grant_id);
            return Ok(Rotation::Reused {
                grant_id: record.grant_id,
            });
        }
        if record.expires_at <= now {
            return Ok(Rotation::Expired);
        }
        let grant_key = Key::of(&record.grant_id);
        let grant = match inner.grants.get_mut(&grant_key) {
            Some(g) if !g.revoked => {
                g.expires_at = g.expires_at.max(new_expires_at);
                load_grant(record.grant_id.clone(), g)
            }
            _ => return Ok(Rotation::Revoked),
        };
        let jkt = match inner.refresh.get_mut(&old) {
            Some(r) => {
                r.rotated = true;
                r.jkt.clone()
            }
            None => None,
        };
        let jkt = match (jkt, bind_jkt) {
            (Some(jkt), _) => Some(jkt),
            (None, Some(bind)) => Some(inner.intern(bind)),
            (None, None) => None,
        };
        inner.refresh.insert(
            Key::of(&new),
            StoredRefresh {
                grant: grant_key,
                expires_at: new_expires_at,
                rotated: false,
                jkt,
            },
        );
        Ok(Rotation::Rotated(grant))
    }
}

#[async_trait]
impl RevocationStore for MemoryStore {
    async fn revoke_access_token(&self, jti: String, expires_at: i64) -> StoreResult<()> {
        self.lock().revoked_access_tokens.insert(jti, expires_at);
        Ok(())
    }

    async fn is_access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        Ok(self.lock().revoked_access_tokens.contains_key(jti))
    }
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn register_client(
        &self,
        client: Arc<Client>,
        expires_at: i64,
        max: usize,
        now: i64,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        if inner.clients.len() >= max {
            inner.clients.retain(|_, (_, until)| *until > now);
            if inner.clients.len() >= max {
                return Ok(false);
            }
        }
        inner
            .clients
            .insert(client.client_id.clone(), (client, expires_at));
        Ok(true)
    }

    async fn registered_client(
        &self,
        client_id: &str,
        now: i64,
        keep_until: i64,
    ) -> StoreResult<Option<Arc<Client>>> {
        Ok(match self.lock().clients.get_mut(client_id) {
            Some((client, until)) if *until > now => {
                *until = (*until).max(keep_until);
                Some(client.clone())
            }
            _ => None,
        })
    }
}

#[async_trait]
impl ParStore for MemoryStore {
    async fn put_pushed(&self, request_uri: String, request: PushedRequest) -> StoreResult<()> {
        self.lock().pushed.insert(request_uri, request);
        Ok(())
    }

    async fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: i64,
    ) -> StoreResult<ParTake> {
        let mut inner = self.lock();
        Ok(match inner.pushed.get(request_uri) {
            None => ParTake::Unknown,
            Some(p) if p.client_id != client_id => ParTake::WrongClient,
            Some(p) if p.expires_at <= now => {
                inner.pushed.remove(request_uri);
                ParTake::Expired
            }
            Some(_) => match inner.pushed.remove(request_uri) {
                Some(p) => ParTake::Fresh(p),
                None => ParTake::Unknown,
            },
        })
    }
}

#[async_trait]
impl ReplayStore for MemoryStore {
    async fn remember_once(&self, key: &str, expires_at: i64, now: i64) -> StoreResult<bool> {
        let mut inner = self.lock();
        let key = Key::of(&format!("seen\n{key}"));
        Ok(match inner.seen.get(&key) {
            Some(until) if *until > now => false,
            _ => {
                inner.seen.insert(key, expires_at);
                true
            }
        })
    }
}

#[async_trait]
impl ThrottleStore for MemoryStore {
    async fn hit(&self, key: &str, window_ends_at: i64, now: i64) -> StoreResult<(u64, i64)> {
        let mut inner = self.lock();
        let entry = inner
            .counters
            .entry(Key::of(&format!("count\n{key}")))
            .or_insert((0, window_ends_at));
        if entry.1 <= now {
            *entry = (0, window_ends_at);
        }
        entry.0 += 1;
        Ok(*entry)
    }

    async fn count(&self, key: &str, now: i64) -> StoreResult<(u64, i64)> {
        Ok(
            match self.lock().counters.get(&Key::of(&format!("count\n{key}"))) {
                Some((n, until)) if *until > now => (*n, *until),
                _ => (0, now),
            },
        )
    }
}

#[async_trait]
impl AccessTokenStore for MemoryStore {
    async fn put_access_token(
        &self,
        fingerprint: String,
        claims: String,
        expires_at: i64,
    ) -> StoreResult<()> {
        self.lock()
            .access_tokens
            .insert(Key::of(&fingerprint), (claims, expires_at));
        Ok(())
    }

    async fn access_token(&self, fingerprint: &str, now: i64) -> StoreResult<Option<String>> {
        Ok(self
            .lock()
            .access_tokens
            .get(&Key::of(fingerprint))
            .filter(|(_, until)| *until > now)
            .map(|(claims, _)| claims.clone()))
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn purge_expired(&self, now: i64) {
        let mut inner = self.lock();
        inner.pushed.retain(|_, p| p.expires_at > now);
        inner.seen.retain(|_, until| *until > now);
        let expired: Vec<Arc<str>> = inner
            .codes
            .values()
            .filter(|c| c.expires_at <= now)
            .filter_map(|c| c.client.clone())
            .collect();
        for client in &expired {
            inner.code_gone(client);
        }
        inner.codes.retain(|_, c| c.expires_at > now);
        inner.refresh.retain(|_, r| r.expires_at > now);
        inner.revoked_access_tokens.retain(|_, exp| *exp > now);
        inner.grants.retain(|_, g| g.expires_at > now);
        inner.clients.retain(|_, (_, until)| *until > now);
        inner.counters.retain(|_, (_, until)| *until > now);
        inner.access_tokens.retain(|_, (_, until)| *until > now);
        // A string no record shares any more is dropped from the interner.
        inner.strings.retain(|s| Arc::strong_count(s) > 1);
    }
}

#[cfg(test)]
mod tests {
    use oauth_core::scope::Scope;

    use super::*;

    fn code(expires_at: i64) -> CodeGrant {
        CodeGrant {
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
            expires_at,
        }
    }

    fn grant(id: &str) -> GrantRecord {
        GrantRecord {
            grant_id: id.into(),
            client_id: "client".into(),
            subject: "diana".into(),
            user: "diana".into(),
            scope: Scope::parse("foobar").unwrap(),
            claims: None,
            auth_time: 0,
            acr: None,
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
}
