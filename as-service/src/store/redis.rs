//! The shared store: Redis, so that several AS replicas serve one set of
//! grants. Every record expires with what it stands for (Redis TTLs set
//! with EXPIREAT from the record's own expiry): codes, refresh tokens,
//! grants, revocations, pushed requests and replay-cache entries.
//!
//! Atomicity: each operation that guards a guarantee is one Lua script,
//! which Redis runs without interleaving any other command — taking a code
//! (and revoking its grant on replay), rotating a refresh token (and
//! revoking the family on reuse), taking a pushed request, registering a
//! client under the cap. The replay cache is `SET NX EXAT`, atomic by
//! itself. Scripts rather than MULTI/WATCH: a script decides and writes in
//! one round trip and never has to be retried under contention.
//!
//! Failures fail closed: if Redis cannot be reached, a code or refresh
//! token is unknown, a token counts as revoked, a proof as replayed, and
//! the error is logged — a request is refused rather than wrongly granted.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{
    ClientStore, CodeGrant, CodeStore, CodeTake, GrantRecord, GrantStore, ParStore, ParTake,
    PushedRequest, RefreshRecord, RefreshTokenStore, ReplayStore, RevocationStore, Rotation, Store,
};
use crate::config::Client;

const TAKE_CODE: &str = r"
local data = redis.call('HGET', KEYS[1], 'data')
if not data then return {'unknown'} end
local spent = redis.call('HGET', KEYS[1], 'spent')
if spent then
  local grant = ARGV[2] .. spent
  if redis.call('EXISTS', grant) == 1 then redis.call('HSET', grant, 'revoked', '1') end
  return {'replayed', spent}
end
redis.call('HSET', KEYS[1], 'spent', ARGV[1])
return {'fresh', data}
";

const ROTATE: &str = r"
local r = redis.call('HMGET', KEYS[1], 'grant', 'expires_at', 'rotated', 'jkt')
if not r[1] then return {'unknown'} end
local gkey = ARGV[3] .. r[1]
if r[3] == '1' then
  if redis.call('EXISTS', gkey) == 1 then redis.call('HSET', gkey, 'revoked', '1') end
  return {'reused', r[1]}
end
if tonumber(r[2]) <= tonumber(ARGV[2]) then return {'expired'} end
local g = redis.call('HMGET', gkey, 'data', 'revoked', 'expires_at')
if not g[1] or g[2] == '1' then return {'revoked'} end
redis.call('HSET', KEYS[1], 'rotated', '1')
redis.call('HSET', KEYS[2], 'grant', r[1], 'expires_at', ARGV[1], 'rotated', '0')
if r[4] then redis.call('HSET', KEYS[2], 'jkt', r[4]) end
redis.call('EXPIREAT', KEYS[2], ARGV[1])
if tonumber(ARGV[1]) > tonumber(g[3]) then
  redis.call('HSET', gkey, 'expires_at', ARGV[1])
  redis.call('EXPIREAT', gkey, ARGV[1])
end
return {'rotated', g[1], r[1]}
";

const EXTEND: &str = r"
local cur = redis.call('HGET', KEYS[1], 'expires_at')
if not cur then return 0 end
if tonumber(ARGV[1]) > tonumber(cur) then
  redis.call('HSET', KEYS[1], 'expires_at', ARGV[1])
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
end
return 1
";

const TAKE_PUSHED: &str = r"
local p = redis.call('HMGET', KEYS[1], 'client_id', 'params', 'expires_at')
if not p[1] then return {'unknown'} end
if p[1] ~= ARGV[1] then return {'wrong_client'} end
redis.call('DEL', KEYS[1])
if tonumber(p[3]) <= tonumber(ARGV[2]) then return {'expired'} end
return {'fresh', p[2], p[3]}
";

const REGISTER: &str = r"
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('INCR', KEYS[2])
return 1
";

/// Redis-backed state, shared by every replica pointed at the same database.
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    scripts: Scripts,
    /// Registered clients never change once registered: kept after first read.
    clients: Mutex<HashMap<String, Arc<Client>>>,
}

struct Scripts {
    take_code: redis::Script,
    rotate: redis::Script,
    extend: redis::Script,
    take_pushed: redis::Script,
    register: redis::Script,
}

impl RedisStore {
    /// Connects to `url` (`redis://HOST:PORT/DB`); keys are prefixed with
    /// `oidc-story:`.
    pub async fn connect(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("store {url}: {e}"))?;
        let connection = client
            .get_connection_manager()
            .await
            .map_err(|e| format!("cannot reach the store at {url}: {e}"))?;
        Ok(Self {
            connection,
            prefix: "oidc-story:".into(),
            scripts: Scripts {
                take_code: redis::Script::new(TAKE_CODE),
                rotate: redis::Script::new(ROTATE),
                extend: redis::Script::new(EXTEND),
                take_pushed: redis::Script::new(TAKE_PUSHED),
                register: redis::Script::new(REGISTER),
            },
            clients: Mutex::new(HashMap::new()),
        })
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    fn con(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

/// Logs a store error and yields the fail-closed answer.
fn failed<T>(operation: &str, e: redis::RedisError, answer: T) -> T {
    tracing::error!(operation, error = %e, "the shared store failed; refusing");
    answer
}

fn now() -> i64 {
    oauth_core::clock::Clock::now(&oauth_core::clock::SystemClock)
}

#[async_trait]
impl CodeStore for RedisStore {
    async fn put_code(&self, fingerprint: String, grant: CodeGrant) {
        let key = self.key("code", &fingerprint);
        let Ok(data) = serde_json::to_string(&grant) else {
            return;
        };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset(&key, "data", data)
            .expire_at(&key, grant.expires_at);
        if let Err(e) = pipe.query_async::<()>(&mut self.con()).await {
            failed("put_code", e, ());
        }
    }

    async fn take_code(&self, fingerprint: &str, grant_id: &str) -> CodeTake {
        let answer: Result<Vec<String>, _> = self
            .scripts
            .take_code
            .key(self.key("code", fingerprint))
            .arg(grant_id)
            .arg(self.key("grant", ""))
            .invoke_async(&mut self.con())
            .await;
        match answer {
            Ok(v) => match v.first().map(String::as_str) {
                Some("fresh") => match v.get(1).and_then(|d| serde_json::from_str(d).ok()) {
                    Some(grant) => CodeTake::Fresh(Box::new(grant)),
                    None => CodeTake::Unknown,
                },
                Some("replayed") => CodeTake::Replayed {
                    grant_id: v.get(1).cloned().unwrap_or_default(),
                },
                _ => CodeTake::Unknown,
            },
            Err(e) => failed("take_code", e, CodeTake::Unknown),
        }
    }
}

#[async_trait]
impl GrantStore for RedisStore {
    async fn put_grant(&self, grant: GrantRecord) {
        let key = self.key("grant", &grant.grant_id);
        let Ok(data) = serde_json::to_string(&grant) else {
            return;
        };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(
                &key,
                &[
                    ("data", data),
                    ("revoked", if grant.revoked { "1" } else { "0" }.to_owned()),
                    ("expires_at", grant.expires_at.to_string()),
                ],
            )
            .expire_at(&key, grant.expires_at);
        if let Err(e) = pipe.query_async::<()>(&mut self.con()).await {
            failed("put_grant", e, ());
        }
    }

    async fn grant(&self, grant_id: &str) -> Option<GrantRecord> {
        let fields: Result<(Option<String>, Option<String>, Option<i64>), _> = redis::cmd("HMGET")
            .arg(self.key("grant", grant_id))
            .arg(&["data", "revoked", "expires_at"][..])
            .query_async(&mut self.con())
            .await;
        match fields {
            Ok((Some(data), revoked, expires_at)) => {
                let mut grant: GrantRecord = serde_json::from_str(&data).ok()?;
                grant.revoked = revoked.as_deref() == Some("1");
                grant.expires_at = expires_at.unwrap_or(grant.expires_at);
                Some(grant)
            }
            Ok(_) => None,
            Err(e) => failed("grant", e, None),
        }
    }

    async fn revoke_grant(&self, grant_id: &str) {
        let key = self.key("grant", grant_id);
        // HSET only where the grant exists: no empty record left behind.
        let script = redis::Script::new(
            "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end return 1",
        );
        if let Err(e) = script.key(key).invoke_async::<i64>(&mut self.con()).await {
            failed("revoke_grant", e, ());
        }
    }

    async fn extend_grant(&self, grant_id: &str, expires_at: i64) {
        let result: Result<i64, _> = self
            .scripts
            .extend
            .key(self.key("grant", grant_id))
            .arg(expires_at)
            .invoke_async(&mut self.con())
            .await;
        if let Err(e) = result {
            failed("extend_grant", e, ());
        }
    }
}

#[async_trait]
impl RefreshTokenStore for RedisStore {
    async fn put_refresh(&self, fingerprint: String, record: RefreshRecord) {
        let key = self.key("refresh", &fingerprint);
        let mut fields = vec![
            ("grant", record.grant_id.clone()),
            ("expires_at", record.expires_at.to_string()),
            ("rotated", if record.rotated { "1" } else { "0" }.to_owned()),
        ];
        if let Some(jkt) = &record.jkt {
            fields.push(("jkt", jkt.clone()));
        }
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(&key, &fields)
            .expire_at(&key, record.expires_at);
        if let Err(e) = pipe.query_async::<()>(&mut self.con()).await {
            failed("put_refresh", e, ());
        }
    }

    async fn refresh(&self, fingerprint: &str) -> Option<RefreshRecord> {
        let fields: Result<(Option<String>, Option<i64>, Option<String>, Option<String>), _> =
            redis::cmd("HMGET")
                .arg(self.key("refresh", fingerprint))
                .arg(&["grant", "expires_at", "rotated", "jkt"][..])
                .query_async(&mut self.con())
                .await;
        match fields {
            Ok((Some(grant_id), Some(expires_at), rotated, jkt)) => Some(RefreshRecord {
                grant_id,
                expires_at,
                rotated: rotated.as_deref() == Some("1"),
                jkt,
            }),
            Ok(_) => None,
            Err(e) => failed("refresh", e, None),
        }
    }

    async fn rotate_refresh(
        &self,
        old: &str,
        new: String,
        new_expires_at: i64,
        now: i64,
    ) -> Rotation {
        let answer: Result<Vec<String>, _> = self
            .scripts
            .rotate
            .key(self.key("refresh", old))
            .key(self.key("refresh", &new))
            .arg(new_expires_at)
            .arg(now)
            .arg(self.key("grant", ""))
            .invoke_async(&mut self.con())
            .await;
        match answer {
            Ok(v) => match v.first().map(String::as_str) {
                Some("rotated") => {
                    let grant: Option<GrantRecord> =
                        v.get(1).and_then(|d| serde_json::from_str(d).ok());
                    match grant {
                        Some(mut g) => {
                            g.expires_at = g.expires_at.max(new_expires_at);
                            Rotation::Rotated(g)
                        }
                        None => Rotation::Unknown,
                    }
                }
                Some("reused") => Rotation::Reused {
                    grant_id: v.get(1).cloned().unwrap_or_default(),
                },
                Some("expired") => Rotation::Expired,
                Some("revoked") => Rotation::Revoked,
                _ => Rotation::Unknown,
            },
            Err(e) => failed("rotate_refresh", e, Rotation::Unknown),
        }
    }
}

#[async_trait]
impl RevocationStore for RedisStore {
    async fn revoke_access_token(&self, jti: String, expires_at: i64) {
        if expires_at <= now() {
            return;
        }
        let key = self.key("revoked", &jti);
        let mut pipe = redis::pipe();
        pipe.atomic().set(&key, 1).expire_at(&key, expires_at);
        if let Err(e) = pipe.query_async::<()>(&mut self.con()).await {
            failed("revoke_access_token", e, ());
        }
    }

    async fn is_access_token_revoked(&self, jti: &str) -> bool {
        match self.con().exists(self.key("revoked", jti)).await {
            Ok(exists) => exists,
            Err(e) => failed("is_access_token_revoked", e, true),
        }
    }
}

#[async_trait]
impl ParStore for RedisStore {
    async fn put_pushed(&self, request_uri: String, request: PushedRequest) {
        let key = self.key("par", &request_uri);
        let Ok(params) = serde_json::to_string(&request.params) else {
            return;
        };
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset_multiple(
                &key,
                &[
                    ("client_id", request.client_id.clone()),
                    ("params", params),
                    ("expires_at", request.expires_at.to_string()),
                ],
            )
            .expire_at(&key, request.expires_at);
        if let Err(e) = pipe.query_async::<()>(&mut self.con()).await {
            failed("put_pushed", e, ());
        }
    }

    async fn take_pushed(&self, request_uri: &str, client_id: &str, now: i64) -> ParTake {
        let answer: Result<Vec<String>, _> = self
            .scripts
            .take_pushed
            .key(self.key("par", request_uri))
            .arg(client_id)
            .arg(now)
            .invoke_async(&mut self.con())
            .await;
        match answer {
            Ok(v) => match v.first().map(String::as_str) {
                Some("fresh") => {
                    let params = v.get(1).and_then(|p| serde_json::from_str(p).ok());
                    let expires_at = v.get(2).and_then(|e| e.parse().ok()).unwrap_or(0);
                    match params {
                        Some(params) => ParTake::Fresh(PushedRequest {
                            client_id: client_id.to_owned(),
                            params,
                            expires_at,
                        }),
                        None => ParTake::Unknown,
                    }
                }
                Some("wrong_client") => ParTake::WrongClient,
                Some("expired") => ParTake::Expired,
                _ => ParTake::Unknown,
            },
            Err(e) => failed("take_pushed", e, ParTake::Unknown),
        }
    }
}

#[async_trait]
impl ReplayStore for RedisStore {
    async fn remember_once(&self, key: String, expires_at: i64, now: i64) -> bool {
        if expires_at <= now {
            return true;
        }
        // SET NX: of two replicas seeing the same jti, exactly one succeeds.
        let set: Result<Option<String>, _> = redis::cmd("SET")
            .arg(self.key("seen", &oauth_core::secret::fingerprint(&key)))
            .arg(1)
            .arg("NX")
            .arg("EXAT")
            .arg(expires_at)
            .query_async(&mut self.con())
            .await;
        match set {
            Ok(answer) => answer.is_some(),
            Err(e) => failed("remember_once", e, false),
        }
    }
}

#[async_trait]
impl ClientStore for RedisStore {
    async fn register_client(&self, client: Arc<Client>, max: usize) -> bool {
        let Ok(data) = serde_json::to_string(&*client) else {
            return false;
        };
        let answer: Result<i64, _> = self
            .scripts
            .register
            .key(self.key("client", &client.client_id))
            .key(self.key("clients", "count"))
            .arg(data)
            .arg(max)
            .invoke_async(&mut self.con())
            .await;
        match answer {
            Ok(1) => true,
            Ok(_) => false,
            Err(e) => failed("register_client", e, false),
        }
    }

    async fn registered_client(&self, client_id: &str) -> Option<Arc<Client>> {
        if let Some(c) = self
            .clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(client_id)
        {
            return Some(c.clone());
        }
        let data: Result<Option<String>, _> = self.con().get(self.key("client", client_id)).await;
        let client: Client = match data {
            Ok(Some(d)) => serde_json::from_str(&d).ok()?,
            Ok(None) => return None,
            Err(e) => return failed("registered_client", e, None),
        };
        let client = Arc::new(client);
        self.clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(client_id.to_owned(), client.clone());
        Some(client)
    }
}

#[async_trait]
impl Store for RedisStore {
    /// Nothing to do: every record carries its own TTL.
    async fn purge_expired(&self, _now: i64) {}
}
