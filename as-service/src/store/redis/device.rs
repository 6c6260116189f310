//! Device authorizations in Redis (RFC 8628): a hash per device code
//! (its fixed part as JSON, beside the fields the scripts change: state,
//! interval, last poll, approval) and a key per user code naming it. Each
//! step that guards a guarantee is one Lua script: storing under an unused
//! user code, deciding once, polling against the interval and redeeming once.
use std::sync::LazyLock;

use async_trait::async_trait;

use super::super::{
    DeviceApproval, DeviceDecision, DeviceGrant, DevicePoll, DeviceState, DeviceStore, StoreError,
    StoreResult,
};
use super::{RedisStore, corrupt, failed};

/// KEYS: the device record, the user code. ARGV: the device code's
/// fingerprint, the fixed part, client id, expires_at, interval.
static PUT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EXAT', ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'client_id', ARGV[3], 'expires_at', ARGV[4],
  'interval', ARGV[5], 'state', 'pending')
redis.call('EXPIREAT', KEYS[1], ARGV[4])
return 1
",
    )
});

/// KEYS: the user code. ARGV: the device key prefix, now. The pending
/// record's fixed part and interval.
static PENDING: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local fp = redis.call('GET', KEYS[1])
if not fp then return false end
local d = redis.call('HMGET', ARGV[1] .. fp, 'data', 'state', 'expires_at', 'interval')
if not d[1] or d[2] ~= 'pending' or tonumber(d[3]) <= tonumber(ARGV[2]) then return false end
return {d[1], d[4]}
",
    )
});

/// KEYS: the user code. ARGV: the device key prefix, the new state, the
/// approval (JSON, or empty), now. Decides a pending record once.
static DECIDE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local fp = redis.call('GET', KEYS[1])
if not fp then return false end
local key = ARGV[1] .. fp
local d = redis.call('HMGET', key, 'data', 'state', 'expires_at', 'interval')
if not d[1] or d[2] ~= 'pending' or tonumber(d[3]) <= tonumber(ARGV[4]) then return false end
redis.call('HSET', key, 'state', ARGV[2], 'approval', ARGV[3])
redis.call('DEL', KEYS[1])
return {d[1], d[4]}
",
    )
});

/// KEYS: the device record. ARGV: client id, now in milliseconds.
static POLL: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local d = redis.call('HMGET', KEYS[1], 'client_id', 'expires_at', 'interval', 'last_poll',
  'state', 'data', 'approval')
if not d[1] or d[5] == 'redeemed' then return {'unknown'} end
if d[1] ~= ARGV[1] then return {'wrong_client'} end
if tonumber(d[2]) * 1000 <= tonumber(ARGV[2]) then return {'expired'} end
if d[5] == 'denied' then return {'denied'} end
if d[5] == 'approved' then
  redis.call('HSET', KEYS[1], 'state', 'redeemed')
  return {'approved', d[6], d[7], d[3]}
end
local interval = tonumber(d[3])
local early = d[4] and (tonumber(ARGV[2]) - tonumber(d[4]) < interval * 1000)
redis.call('HSET', KEYS[1], 'last_poll', ARGV[2])
if early then
  interval = interval + 5
  redis.call('HSET', KEYS[1], 'interval', tostring(interval))
  return {'slow_down', tostring(interval)}
end
return {'pending'}
",
    )
});

/// A record's fixed part, with the interval and state the scripts keep.
fn load(
    operation: &'static str,
    data: Option<&String>,
    interval: Option<&String>,
    state: DeviceState,
) -> StoreResult<DeviceGrant> {
    let data = data.ok_or_else(|| StoreError::new(operation, "record without data"))?;
    let mut grant: DeviceGrant = serde_json::from_str(data).map_err(corrupt(operation))?;
    if let Some(interval) = interval.and_then(|i| i.parse().ok()) {
        grant.interval = interval;
    }
    grant.state = state;
    Ok(grant)
}

#[async_trait]
impl DeviceStore for RedisStore {
    async fn put_device(
        &self,
        device_code: String,
        user_code: String,
        grant: DeviceGrant,
        _now: i64,
    ) -> StoreResult<bool> {
        let data = serde_json::to_string(&grant).map_err(corrupt("put_device"))?;
        let stored: i64 = PUT
            .key(self.key("device", &device_code))
            .key(self.key("user_code", &user_code))
            .arg(&device_code)
            .arg(data)
            .arg(&grant.client_id)
            .arg(grant.expires_at)
            .arg(grant.interval)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("put_device"))?;
        Ok(stored == 1)
    }

    async fn device_by_user_code(
        &self,
        user_code: &str,
        now: i64,
    ) -> StoreResult<Option<DeviceGrant>> {
        let found: Option<Vec<String>> = PENDING
            .key(self.key("user_code", user_code))
            .arg(self.key("device", ""))
            .arg(now)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("device_by_user_code"))?;
        found
            .map(|v| {
                load(
                    "device_by_user_code",
                    v.first(),
                    v.get(1),
                    DeviceState::Pending,
                )
            })
            .transpose()
    }

    async fn decide_device(
        &self,
        user_code: &str,
        decision: DeviceState,
        now: i64,
    ) -> StoreResult<DeviceDecision> {
        let (state, approval) = match &decision {
            DeviceState::Approved(a) => (
                "approved",
                serde_json::to_string(a).map_err(corrupt("decide_device"))?,
            ),
            DeviceState::Denied => ("denied", String::new()),
            DeviceState::Pending => return Ok(DeviceDecision::Unknown),
        };
        let decided: Option<Vec<String>> = DECIDE
            .key(self.key("user_code", user_code))
            .arg(self.key("device", ""))
            .arg(state)
            .arg(approval)
            .arg(now)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("decide_device"))?;
        Ok(match decided {
            Some(v) => DeviceDecision::Decided(Box::new(load(
                "decide_device",
                v.first(),
                v.get(1),
                decision,
            )?)),
            None => DeviceDecision::Unknown,
        })
    }

    async fn poll_device(
        &self,
        device_code: &str,
        client_id: &str,
        now_ms: i64,
    ) -> StoreResult<DevicePoll> {
        let v: Vec<String> = POLL
            .key(self.key("device", device_code))
            .arg(client_id)
            .arg(now_ms)
            .invoke_async(&mut self.con())
            .await
            .map_err(failed("poll_device"))?;
        Ok(match v.first().map(String::as_str) {
            Some("approved") => {
                let approval: DeviceApproval =
                    serde_json::from_str(v.get(2).map(String::as_str).unwrap_or_default())
                        .map_err(corrupt("poll_device"))?;
                DevicePoll::Approved(Box::new(load(
                    "poll_device",
                    v.get(1),
                    v.get(3),
                    DeviceState::Approved(approval),
                )?))
            }
            Some("pending") => DevicePoll::Pending,
            Some("slow_down") => DevicePoll::SlowDown {
                interval: v.get(1).and_then(|i| i.parse().ok()).unwrap_or(5),
            },
            Some("denied") => DevicePoll::Denied,
            Some("expired") => DevicePoll::Expired,
            Some("wrong_client") => DevicePoll::WrongClient,
            _ => DevicePoll::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::TokenTarget;
    use super::*;

    /// A record stored before device authorizations kept their resources
    /// and authorization details (its `data` as written then) still reads:
    /// a grant naming neither.
    #[test]
    fn a_device_record_stored_without_a_target_still_reads() {
        let old = r#"{"client_id":"client","scope":"foobar","expires_at":1700000300,"interval":1,"state":"Pending"}"#.to_owned();
        let grant = load(
            "poll_device",
            Some(&old),
            Some(&"6".to_owned()),
            DeviceState::Denied,
        )
        .expect("an old record reads");
        assert!(grant.target.is_empty());
        assert_eq!(grant.client_id, "client");
        assert_eq!(grant.interval, 6);
        assert_eq!(grant.state, DeviceState::Denied);
    }

    /// The target is written with the record's fixed part and read back.
    #[test]
    fn a_device_records_target_is_kept_in_its_data() {
        let grant = DeviceGrant {
            client_id: "client".into(),
            scope: oauth_core::scope::Scope::parse("foobar").expect("a scope"),
            target: TokenTarget {
                resources: vec!["https://backend.example.org/".into()],
                authorization_details: Some(r#"[{"type":"customer_information"}]"#.into()),
            },
            expires_at: 1_700_000_300,
            interval: 1,
            state: DeviceState::Pending,
        };
        let data = serde_json::to_string(&grant).expect("serialisable");
        let read = load("poll_device", Some(&data), None, DeviceState::Pending).expect("it reads");
        assert_eq!(read, grant);
    }
}
