//! Login sessions in memory: each `sid` with the grants it holds, and the
//! sessions ended, so that a code issued before the end cannot join after;
//! browser sessions by their cookie's fingerprint, forgotten when their
//! `sid` ends.
use async_trait::async_trait;

use super::MemoryStore;
use super::records::Key;
use crate::store::{BrowserSession, BrowserSessionStore, SessionMember, SessionStore, StoreResult};

#[async_trait]
impl SessionStore for MemoryStore {
    async fn join_session(
        &self,
        sid: &str,
        member: SessionMember,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        if inner
            .ended_sessions
            .get(sid)
            .is_some_and(|until| *until > now)
        {
            return Ok(false);
        }
        let (members, until) = inner
            .sessions
            .entry(sid.to_owned())
            .or_insert_with(|| (Vec::new(), expires_at));
        *until = (*until).max(expires_at);
        if !members.contains(&member) {
            members.push(member);
        }
        Ok(true)
    }

    async fn end_session(
        &self,
        sid: &str,
        ended_until: i64,
        now: i64,
    ) -> StoreResult<Vec<SessionMember>> {
        let mut inner = self.lock();
        let until = inner.ended_sessions.entry(sid.to_owned()).or_insert(now);
        *until = (*until).max(ended_until);
        if let Some(key) = inner.browser_session_of.remove(sid) {
            inner.browser_sessions.remove(&key);
        }
        Ok(inner
            .sessions
            .remove(sid)
            .map(|(members, _)| members)
            .unwrap_or_default())
    }
}

#[async_trait]
impl BrowserSessionStore for MemoryStore {
    async fn put_browser_session(
        &self,
        fingerprint: String,
        session: BrowserSession,
        now: i64,
    ) -> StoreResult<bool> {
        let mut inner = self.lock();
        if inner
            .ended_sessions
            .get(&session.sid)
            .is_some_and(|until| *until > now)
        {
            return Ok(false);
        }
        let key = Key::of(&fingerprint);
        inner.browser_session_of.insert(session.sid.clone(), key);
        inner.browser_sessions.insert(key, session);
        Ok(true)
    }

    async fn browser_session(
        &self,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<Option<BrowserSession>> {
        Ok(self
            .lock()
            .browser_sessions
            .get(&Key::of(fingerprint))
            .filter(|s| s.expires_at > now)
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn member(grant_id: &str) -> SessionMember {
        SessionMember {
            client_id: "client".into(),
            grant_id: grant_id.into(),
            subject: "diana".into(),
        }
    }

    /// Back-Channel Logout §2.7: the session's grants are found once, when
    /// it ends; a second end finds nothing left to log out.
    #[tokio::test]
    async fn ending_a_session_yields_its_members_once() {
        let store = MemoryStore::default();
        assert!(
            store
                .join_session("s1", member("g1"), 100, 0)
                .await
                .unwrap()
        );
        assert!(store.join_session("s1", member("g2"), 50, 0).await.unwrap());
        assert!(store.join_session("s2", member("g3"), 50, 0).await.unwrap());
        let ended = store.end_session("s1", 60, 10).await.unwrap();
        assert_eq!(ended, vec![member("g1"), member("g2")]);
        assert!(store.end_session("s1", 60, 11).await.unwrap().is_empty());
        assert_eq!(store.end_session("s2", 60, 11).await.unwrap().len(), 1);
    }

    /// A code issued before the logout cannot bring a grant into the ended
    /// session — until the end is forgotten, after any such code expired.
    #[tokio::test]
    async fn an_ended_session_takes_no_new_grant() {
        let store = MemoryStore::default();
        store.end_session("s1", 60, 0).await.unwrap();
        assert!(
            !store
                .join_session("s1", member("g1"), 100, 30)
                .await
                .unwrap()
        );
        assert!(
            store
                .join_session("s1", member("g1"), 100, 61)
                .await
                .unwrap()
        );
    }

    fn browser(sid: &str) -> BrowserSession {
        BrowserSession {
            sid: sid.into(),
            user: "diana".into(),
            auth_time: 10,
            acr: Some("urn:acr".into()),
            expires_at: 100,
        }
    }

    /// A browser session is found by its cookie until it expires, and no
    /// more once its `sid` has ended (RP-Initiated Logout §2).
    #[tokio::test]
    async fn a_browser_session_lasts_until_it_expires_or_its_sid_ends() {
        let store = MemoryStore::default();
        assert!(
            store
                .put_browser_session("fp1".into(), browser("s1"), 10)
                .await
                .unwrap()
        );
        assert!(
            store
                .put_browser_session("fp2".into(), browser("s2"), 10)
                .await
                .unwrap()
        );
        assert_eq!(
            store.browser_session("fp1", 99).await.unwrap(),
            Some(browser("s1"))
        );
        assert_eq!(store.browser_session("fp1", 100).await.unwrap(), None);
        assert_eq!(store.browser_session("nope", 10).await.unwrap(), None);
        store.end_session("s2", 60, 20).await.unwrap();
        assert_eq!(store.browser_session("fp2", 21).await.unwrap(), None);
        // An ended sid takes no browser session either.
        assert!(
            !store
                .put_browser_session("fp3".into(), browser("s2"), 30)
                .await
                .unwrap()
        );
        store.purge_expired(100).await;
        assert!(store.lock().browser_session_of.is_empty());
    }
}
