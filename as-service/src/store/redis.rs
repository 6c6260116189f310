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
//! Failures are errors ([`StoreError`]): the handler refuses the request
//! with `temporarily_unavailable` and logs the cause; nothing is handed out
//! whose record was not written.
use std::sync::Arc;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{
    AccessTokenStore, ClientStore, CodeGrant, CodeStore, CodeTake, GrantRecord, GrantStore,
    ParStore, ParTake, PushedRequest, RefreshRecord, RefreshTokenStore, ReplayStore,
    RevocationStore, Rotation, Store, StoreError, StoreResult,
};
use crate::config::Client;

mod device;
mod scripts;
mod session;
mod throttle;

use scripts::Scripts;

mod connect;
pub use connect::ConnectError;
use connect::redacted;

/// Redis-backed state, shared by every replica pointed at the same database.
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    scripts: Scripts,
}

impl RedisStore {
    /// Connects to `url` (`redis://HOST:PORT/DB`); keys are prefixed with
    /// `oidc-story:`.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        let client = redis::Client::open(url).map_err(|source| ConnectError::BadUrl {
            url: redacted(url),
            source,
        })?;
        // A store that is down must cost a request milliseconds, not the
        // default ten seconds of reconnect attempts: one quick retry, short
        // timeouts; the manager keeps reconnecting in the background.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_min_delay(std::time::Duration::from_millis(50))
            .set_max_delay(std::time::Duration::from_millis(500))
            .set_connection_timeout(Some(std::time::Duration::from_secs(1)))
            .set_response_timeout(Some(std::time::Duration::from_secs(2)));
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|source| ConnectError::Unreachable {
                url: redacted(url),
                source,
            })?;
        Ok(Self {
            connection,
            prefix: "oidc-story:".into(),
            scripts: Scripts::new(),
        })
    }

    fn key(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}:{id}", self.prefix)
    }

    fn con(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

fn now() -> i64 {
    oauth_core::clock::Clock::now(&oauth_core::clock::SystemClock)
}

/// A Redis failure, for the handler to refuse the request.
fn failed(operation: &'static str) -> impl FnOnce(redis::RedisError) -> StoreError {
    move |e| StoreError::new(operation, e)
}

/// A record that does not encode or decode (never expected).
fn corrupt(operation: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |e| StoreError::new(operation, format!("record: {e}"))
}

#[async_trait]
impl CodeStore for RedisStore {
    async fn put_code(
        &self,
        fingerprint: String,
        grant: CodeGrant,
        max_outstanding: usize,
        now: i64,
    ) -> StoreResult<bool> {
        let data = serde_json::to_string(&grant).map_err(corrupt("put_code"))?;
        let stored: i64 = self
            .scripts
            .put_code
            .key(self.key("code", &fingerprint))
            .key(self.key("outstanding", &grant.client_id))
            .arg(data)
            .arg(grant.expires_at)
            .arg(now)
            .arg(max_outstanding)
            .arg(&fingerprint)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("put_code"))?;
        Ok(stored == 1)
    }

    async fn take_code(&self, fingerprint: &str, grant_id: &str) -> StoreResult<CodeTake> {
        let v: Vec<String> = self
            .scripts
            .take_code
            .key(self.key("code", fingerprint))
            .arg(grant_id)
            .arg(self.key("grant", ""))
            .arg(fingerprint)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("take_code"))?;
        Ok(match v.first().map(String::as_str) {
            Some("fresh") => {
                let data = v.get(1).map(String::as_str).unwrap_or_default();
                CodeTake::Fresh(Box::new(
                    serde_json::from_str(data).map_err(corrupt("take_code"))?,
                ))
            }
            Some("replayed") => CodeTake::Replayed {
                grant_id: v.get(1).cloned().unwrap_or_default(),
            },
            _ => CodeTake::Unknown,
        })
    }
}

#[async_trait]
impl GrantStore for RedisStore {
    async fn put_grant(&self, grant: GrantRecord) -> StoreResult<()> {
        let key = self.key("grant", &grant.grant_id);
        let data = serde_json::to_string(&grant).map_err(corrupt("put_grant"))?;
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
        pipe.query_async::<()>(&mut self.con())
            .await
            .map_err(failed("put_grant"))
    }

    async fn grant(&self, grant_id: &str) -> StoreResult<Option<GrantRecord>> {
        let fields: (Option<String>, Option<String>, Option<i64>) = redis::cmd("HMGET")
            .arg(self.key("grant", grant_id))
            .arg(&["data", "revoked", "expires_at"][..])
            .query_async(&mut self.con())
            .await
            .map_err(failed("grant"))?;
        match fields {
            (Some(data), revoked, expires_at) => {
                let mut grant: GrantRecord =
                    serde_json::from_str(&data).map_err(corrupt("grant"))?;
                grant.revoked = revoked.as_deref() == Some("1");
                grant.expires_at = expires_at.unwrap_or(grant.expires_at);
                Ok(Some(grant))
            }
            _ => Ok(None),
        }
    }

    async fn revoke_grant(&self, grant_id: &str) -> StoreResult<()> {
        self.scripts
            .revoke_grant
            .key(self.key("grant", grant_id))
            .invoke_async::<i64>(&mut self.con())
            .await
            .map(|_| ())
            .map_err(failed("revoke_grant"))
    }

    async fn extend_grant(&self, grant_id: &str, expires_at: i64) -> StoreResult<()> {
        self.scripts
            .extend
            .key(self.key("grant", grant_id))
            .arg(expires_at)
            .invoke_async::<i64>(&mut self.con())
            .await
            .map(|_| ())
            .map_err(failed("extend_grant"))
    }
}

#[async_trait]
impl RefreshTokenStore for RedisStore {
    async fn put_refresh(&self, fingerprint: String, record: RefreshRecord) -> StoreResult<()> {
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
        pipe.query_async::<()>(&mut self.con())
            .await
            .map_err(failed("put_refresh"))
    }

    async fn refresh(&self, fingerprint: &str) -> StoreResult<Option<RefreshRecord>> {
        let fields: (Option<String>, Option<i64>, Option<String>, Option<String>) =
            redis::cmd("HMGET")
                .arg(self.key("refresh", fingerprint))
                .arg(&["grant", "expires_at", "rotated", "jkt"][..])
                .query_async(&mut self.con())
                .await
                .map_err(failed("refresh"))?;
        Ok(match fields {
            (Some(grant_id), Some(expires_at), rotated, jkt) => Some(RefreshRecord {
                grant_id,
                expires_at,
                rotated: rotated.as_deref() == Some("1"),
                jkt,
            }),
            _ => None,
        })
    }

    async fn rotate_refresh(
        &self,
        old: &str,
        new: String,
        new_expires_at: i64,
        now: i64,
        bind_jkt: Option<&str>,
    ) -> StoreResult<Rotation> {
        let v: Vec<String> = self
            .scripts
            .rotate
            .key(self.key("refresh", old))
            .key(self.key("refresh", &new))
            .arg(new_expires_at)
            .arg(now)
            .arg(self.key("grant", ""))
            .arg(bind_jkt.unwrap_or(""))
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("rotate_refresh"))?;
        Ok(match v.first().map(String::as_str) {
            Some("rotated") => {
                let data = v.get(1).map(String::as_str).unwrap_or_default();
                let mut g: GrantRecord =
                    serde_json::from_str(data).map_err(corrupt("rotate_refresh"))?;
                g.expires_at = g.expires_at.max(new_expires_at);
                Rotation::Rotated(Box::new(g))
            }
            Some("reused") => Rotation::Reused {
                grant_id: v.get(1).cloned().unwrap_or_default(),
            },
            Some("expired") => Rotation::Expired,
            Some("revoked") => Rotation::Revoked,
            _ => Rotation::Unknown,
        })
    }
}

#[async_trait]
impl RevocationStore for RedisStore {
    async fn revoke_access_token(&self, jti: String, expires_at: i64) -> StoreResult<()> {
        if expires_at <= now() {
            return Ok(());
        }
        let key = self.key("revoked", &jti);
        let mut pipe = redis::pipe();
        pipe.atomic().set(&key, 1).expire_at(&key, expires_at);
        pipe.query_async::<()>(&mut self.con())
            .await
            .map_err(failed("revoke_access_token"))
    }

    async fn is_access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
        self.con()
            .exists(self.key("revoked", jti))
            .await
            .map_err(failed("is_access_token_revoked"))
    }
}

#[async_trait]
impl ParStore for RedisStore {
    async fn put_pushed(&self, request_uri: String, request: PushedRequest) -> StoreResult<()> {
        let key = self.key("par", &request_uri);
        let params = serde_json::to_string(&request.params).map_err(corrupt("put_pushed"))?;
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
        pipe.query_async::<()>(&mut self.con())
            .await
            .map_err(failed("put_pushed"))
    }

    async fn take_pushed(
        &self,
        request_uri: &str,
        client_id: &str,
        now: i64,
    ) -> StoreResult<ParTake> {
        let v: Vec<String> = self
            .scripts
            .take_pushed
            .key(self.key("par", request_uri))
            .arg(client_id)
            .arg(now)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("take_pushed"))?;
        Ok(match v.first().map(String::as_str) {
            Some("fresh") => {
                let data = v.get(1).map(String::as_str).unwrap_or_default();
                let params = serde_json::from_str(data).map_err(corrupt("take_pushed"))?;
                let expires_at = v.get(2).and_then(|e| e.parse().ok()).unwrap_or(0);
                ParTake::Fresh(PushedRequest {
                    client_id: client_id.to_owned(),
                    params,
                    expires_at,
                })
            }
            Some("wrong_client") => ParTake::WrongClient,
            Some("expired") => ParTake::Expired,
            _ => ParTake::Unknown,
        })
    }
}

#[async_trait]
impl ReplayStore for RedisStore {
    async fn remember_once(&self, key: &str, expires_at: i64, now: i64) -> StoreResult<bool> {
        if expires_at <= now {
            return Ok(true);
        }
        // SET NX: of two replicas seeing the same jti, exactly one succeeds.
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key("seen", &oauth_core::secret::fingerprint(key)))
            .arg(1)
            .arg("NX")
            .arg("EXAT")
            .arg(expires_at)
            .query_async(&mut self.con())
            .await
            .map_err(failed("remember_once"))?;
        Ok(set.is_some())
    }
}

#[async_trait]
impl ClientStore for RedisStore {
    async fn register_client(
        &self,
        client: Arc<Client>,
        expires_at: i64,
        max: usize,
        now: i64,
    ) -> StoreResult<bool> {
        let data = serde_json::to_string(&*client).map_err(corrupt("register_client"))?;
        let answer: i64 = self
            .scripts
            .register
            .key(self.key("client", &client.client_id))
            .key(self.key("clients", "registered"))
            .arg(data)
            .arg(max)
            .arg(expires_at)
            .arg(now)
            .arg(&client.client_id)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("register_client"))?;
        Ok(answer == 1)
    }

    async fn registered_client(
        &self,
        client_id: &str,
        _now: i64,
        keep_until: i64,
    ) -> StoreResult<Option<Arc<Client>>> {
        // Redis expires the record itself (EXAT); using it pushes that out.
        let data: Option<String> = self
            .scripts
            .use_client
            .key(self.key("client", client_id))
            .key(self.key("clients", "registered"))
            .arg(keep_until)
            .arg(client_id)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("registered_client"))?;
        let Some(data) = data else {
            return Ok(None);
        };
        let client: Client = serde_json::from_str(&data).map_err(corrupt("registered_client"))?;
        Ok(Some(Arc::new(client)))
    }
}

#[async_trait]
impl AccessTokenStore for RedisStore {
    async fn put_access_token(
        &self,
        fingerprint: String,
        claims: String,
        expires_at: i64,
    ) -> StoreResult<()> {
        redis::cmd("SET")
            .arg(self.key("access", &fingerprint))
            .arg(claims)
            .arg("EXAT")
            .arg(expires_at)
            .query_async::<()>(&mut self.con())
            .await
            .map_err(failed("put_access_token"))
    }

    async fn access_token(&self, fingerprint: &str, _now: i64) -> StoreResult<Option<String>> {
        self.con()
            .get(self.key("access", fingerprint))
            .await
            .map_err(failed("access_token"))
    }
}

#[async_trait]
impl Store for RedisStore {
    /// Nothing to do: every record carries its own TTL.
    async fn purge_expired(&self, _now: i64) {}
}
