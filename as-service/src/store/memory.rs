//! The in-memory store: one mutex over plain maps. Every operation is a
//! handful of hash-map steps under the lock, so the lock is never held
//! across an await or any I/O, and a multi-step guarantee (take a code and
//! mark it spent; spend a refresh token and store its successor) happens
//! under one acquisition.
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    AccessTokenStore, ClientStore, CodeGrant, CodeStore, CodeTake, GrantRecord, GrantStore,
    ParStore, ParTake, PushedRequest, RefreshRecord, RefreshTokenStore, ReplayStore,
    RevocationStore, Rotation, Store, StoreResult, ThrottleStore,
};
use crate::config::Client;

mod device;
mod records;
mod session;

use records::{CodeEntry, CodeState, Inner, Key, StoredRefresh, load_grant, load_refresh};

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
        Ok(Rotation::Rotated(Box::new(grant)))
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

    async fn forgive(&self, key: &str, now: i64) -> StoreResult<()> {
        if let Some(entry) = self
            .lock()
            .counters
            .get_mut(&Key::of(&format!("count\n{key}")))
            && entry.1 > now
        {
            entry.0 = entry.0.saturating_sub(1);
        }
        Ok(())
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
        inner.devices.retain(|_, d| d.grant.expires_at > now);
        inner.user_codes.retain(|_, (_, until)| *until > now);
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
        inner.sessions.retain(|_, (_, until)| *until > now);
        inner.ended_sessions.retain(|_, until| *until > now);
        inner.browser_sessions.retain(|_, s| s.expires_at > now);
        let Inner {
            browser_sessions,
            browser_session_of,
            ..
        } = &mut *inner;
        browser_session_of.retain(|_, key| browser_sessions.contains_key(key));
        // A string no record shares any more is dropped from the interner.
        inner.strings.retain(|s| Arc::strong_count(s) > 1);
    }
}

#[cfg(test)]
mod tests;
