//! Throttle counters in Redis: one counter per key over a fixed window,
//! each step one atomic command or script.
use async_trait::async_trait;

use super::{RedisStore, failed};
use crate::store::{StoreResult, ThrottleStore};

/// KEYS: the counter. One entry given back, never below zero; the
/// window (the key's expiry) stays as it was.
const FORGIVE: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 1
";

#[async_trait]
impl ThrottleStore for RedisStore {
    async fn hit(&self, key: &str, window_ends_at: i64, now: i64) -> StoreResult<(u64, i64)> {
        let (count, ends): (u64, i64) = self
            .scripts
            .hit
            .key(self.key("count", &oauth_core::secret::fingerprint(key)))
            .arg(window_ends_at.max(now + 1))
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("hit"))?;
        Ok((count, ends))
    }

    async fn forgive(&self, key: &str, _now: i64) -> StoreResult<()> {
        let _: i64 = redis::Script::new(FORGIVE)
            .key(self.key("count", &oauth_core::secret::fingerprint(key)))
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("forgive"))?;
        Ok(())
    }

    async fn count(&self, key: &str, now: i64) -> StoreResult<(u64, i64)> {
        let key = self.key("count", &oauth_core::secret::fingerprint(key));
        let (count, ends): (Option<u64>, i64) = redis::pipe()
            .get(&key)
            .cmd("EXPIRETIME")
            .arg(&key)
            .query_async(&mut self.con())
            .await
            .map_err(failed("count"))?;
        Ok(match count {
            Some(n) if ends > now => (n, ends),
            _ => (0, now),
        })
    }
}
