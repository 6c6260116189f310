//! Login sessions in Redis: a list of members per `sid` expiring with the
//! last of their grants, and a marker for an ended session. Joining and
//! ending are each one script, so a grant either joins before the end (and
//! is ended with the session) or finds the marker and does not join.
use async_trait::async_trait;

use super::{RedisStore, corrupt, failed};
use crate::store::{SessionMember, SessionStore, StoreResult};

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

/// KEYS: the session's members, its ended marker. ARGV: ended until.
const END: &str = r"
local members = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
local ttl = redis.call('EXPIRETIME', KEYS[2])
if ttl < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'EXAT', ARGV[1])
end
return members
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
            .arg(ended_until.max(now + 1))
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("end_session"))?;
        members
            .iter()
            .map(|m| serde_json::from_str(m).map_err(corrupt("end_session")))
            .collect()
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
}
