//! Login sessions in Redis: a list of members per `sid` expiring with the
//! last of their grants, and a marker for an ended session. Joining and
//! ending are each one script, so a grant either joins before the end (and
//! is ended with the session) or finds the marker and does not join.
//! A browser session is a record under its cookie's fingerprint and a key
//! naming that fingerprint under its `sid`, both expiring with it; ending
//! the `sid` deletes both in the same script.
use async_trait::async_trait;

use super::{RedisStore, corrupt, failed};
use crate::store::{BrowserSession, BrowserSessionStore, SessionMember, SessionStore, StoreResult};

/// KEYS: the session's members, its ended marker.
/// ARGV: the member (JSON), kept until, now. A member already there is
/// not added twice; joining again only pushes the expiry out.
const JOIN: &str = r"
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if not redis.call('LPOS', KEYS[1], ARGV[1]) then redis.call('RPUSH', KEYS[1], ARGV[1]) end
local ttl = redis.call('EXPIRETIME', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('EXPIREAT', KEYS[1], ARGV[2]) end
return 1
";

/// KEYS: the session's members, its ended marker, its browser session's
/// fingerprint. ARGV: ended until, the browser session key prefix.
const END: &str = r"
local members = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
local browser = redis.call('GET', KEYS[3])
if browser then redis.call('DEL', ARGV[2] .. browser) end
redis.call('DEL', KEYS[3])
local ttl = redis.call('EXPIRETIME', KEYS[2])
if ttl < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EXAT', ARGV[1])
end
return members
";

/// KEYS: the browser session, the fingerprint's key under its `sid`, the
/// `sid`'s ended marker. ARGV: the session (JSON), its fingerprint, expiry.
const PUT_BROWSER: &str = r"
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EXAT', ARGV[3])
return 1
";

#[async_trait]
impl SessionStore for RedisStore {
    async fn join_session(
        &self,
        sid: &str,
        member: SessionMember,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let data = serde_json::to_string(&member).map_err(corrupt("join_session"))?;
        let joined: i64 = redis::Script::new(JOIN)
            .key(self.key("session", sid))
            .key(self.key("session-ended", sid))
            .arg(data)
            .arg(expires_at.max(now + 1))
            .arg(now)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("join_session"))?;
        Ok(joined == 1)
    }

    async fn end_session(
        &self,
        sid: &str,
        ended_until: i64,
        now: i64,
    ) -> StoreResult<Vec<SessionMember>> {
        let members: Vec<String> = redis::Script::new(END)
            .key(self.key("session", sid))
            .key(self.key("session-ended", sid))
            .key(self.key("session-browser", sid))
            .arg(ended_until.max(now + 1))
            .arg(self.key("browser", ""))
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("end_session"))?;
        members
            .iter()
            .map(|m| serde_json::from_str(m).map_err(corrupt("end_session")))
            .collect()
    }
}

#[async_trait]
impl BrowserSessionStore for RedisStore {
    async fn put_browser_session(
        &self,
        fingerprint: String,
        session: BrowserSession,
        now: i64,
    ) -> StoreResult<bool> {
        let data = serde_json::to_string(&session).map_err(corrupt("put_browser_session"))?;
        let kept: i64 = redis::Script::new(PUT_BROWSER)
            .key(self.key("browser", &fingerprint))
            .key(self.key("session-browser", &session.sid))
            .key(self.key("session-ended", &session.sid))
            .arg(data)
            .arg(&fingerprint)
            .arg(session.expires_at.max(now + 1))
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("put_browser_session"))?;
        Ok(kept == 1)
    }

    async fn browser_session(
        &self,
        fingerprint: &str,
        now: i64,
    ) -> StoreResult<Option<BrowserSession>> {
        let data: Option<String> = redis::cmd("GET")
            .arg(self.key("browser", fingerprint))
            .query_async(&mut self.con())
            .await
            .map_err(failed("browser_session"))?;
        let Some(data) = data else {
            return Ok(None);
        };
        let session: BrowserSession =
            serde_json::from_str(&data).map_err(corrupt("browser_session"))?;
        Ok((session.expires_at > now).then_some(session))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(grant_id: &str) -> SessionMember {
        SessionMember {
            client_id: "client".into(),
            grant_id: grant_id.into(),
            subject: "diana".into(),
        }
    }

    /// Back-Channel Logout §2.7 on the shared store: a session's grants are
    /// found once when it ends, and none joins it afterwards.
    #[tokio::test]
    #[ignore = "needs a running Redis named by OIDC_STORY_REDIS (e.g. redis://127.0.0.1:6379/15); run with --include-ignored, as .ci/run does"]
    async fn a_session_ends_once_and_takes_no_grant_after() {
        let url = std::env::var("OIDC_STORY_REDIS")
            .unwrap_or_else(|_| panic!("set OIDC_STORY_REDIS (redis://127.0.0.1:6379/15)"));
        let store = RedisStore::connect(&url).await.unwrap();
        let now = super::super::now();
        let sid = oauth_core::random::token(16);
        assert!(
            store
                .join_session(&sid, member("g1"), now + 60, now)
                .await
                .unwrap()
        );
        assert!(
            store
                .join_session(&sid, member("g2"), now + 30, now)
                .await
                .unwrap()
        );
        let ended = store.end_session(&sid, now + 60, now).await.unwrap();
        assert_eq!(ended, vec![member("g1"), member("g2")]);
        assert!(
            store
                .end_session(&sid, now + 60, now)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            !store
                .join_session(&sid, member("g3"), now + 60, now)
                .await
                .unwrap()
        );
    }

    /// A browser session is found by its cookie until its `sid` ends, in
    /// the same script that ends the grants (RP-Initiated Logout §2).
    #[tokio::test]
    #[ignore = "needs a running Redis named by OIDC_STORY_REDIS (e.g. redis://127.0.0.1:6379/15); run with --include-ignored, as .ci/run does"]
    async fn a_browser_session_ends_with_its_sid() {
        let url = std::env::var("OIDC_STORY_REDIS")
            .unwrap_or_else(|_| panic!("set OIDC_STORY_REDIS (redis://127.0.0.1:6379/15)"));
        let store = RedisStore::connect(&url).await.unwrap();
        let now = super::super::now();
        let sid = oauth_core::random::token(16);
        let fingerprint = oauth_core::random::token(32);
        let session = BrowserSession {
            sid: sid.clone(),
            user: "diana".into(),
            auth_time: now,
            acr: None,
            expires_at: now + 60,
        };
        assert!(
            store
                .put_browser_session(fingerprint.clone(), session.clone(), now)
                .await
                .unwrap()
        );
        assert_eq!(
            store.browser_session(&fingerprint, now).await.unwrap(),
            Some(session.clone())
        );
        store.end_session(&sid, now + 60, now).await.unwrap();
        assert_eq!(
            store.browser_session(&fingerprint, now).await.unwrap(),
            None
        );
        assert!(
            !store
                .put_browser_session(fingerprint, session, now)
                .await
                .unwrap()
        );
    }
}
