//! The Lua scripts behind the Redis store's atomic operations: each one
//! decides and writes in one step that Redis runs without interleaving.

/// KEYS: the code, its client's set of unused codes (scored by expiry).
/// ARGV: data, expires_at, now, max outstanding, the code's fingerprint.
const PUT_CODE: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'outstanding', KEYS[2])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[5])
local ttl = redis.call('EXPIRETIME', KEYS[2])
if ttl < tonumber(ARGV[2]) then redis.call('EXPIREAT', KEYS[2], ARGV[2]) end
return 1
";

/// KEYS: the code. ARGV: the grant id to record, the grant key prefix, the
/// code's fingerprint.
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
local outstanding = redis.call('HGET', KEYS[1], 'outstanding')
if outstanding then redis.call('ZREM', outstanding, ARGV[3]) end
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
if r[4] then redis.call('HSET', KEYS[2], 'jkt', r[4])
elseif ARGV[4] ~= '' then redis.call('HSET', KEYS[2], 'jkt', ARGV[4]) end
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

/// KEYS: the client, the set of registered clients (scored by expiry).
/// ARGV: data, max, expires_at, now, client id.
const REGISTER: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
return 1
";

/// KEYS: the client, the set of registered clients. ARGV: keep until, id.
/// Returns the client's record, now kept at least until then.
const USE_CLIENT: &str = r"
local data = redis.call('GET', KEYS[1])
if not data then return false end
if redis.call('EXPIRETIME', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('EXPIREAT', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
end
return data
";

/// KEYS: the counter. ARGV: window end. Returns the count and window end.
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIREAT', KEYS[1], ARGV[1]) end
return {n, redis.call('EXPIRETIME', KEYS[1])}
";

/// The scripts, loaded once per store (redis-rs sends each by its SHA1 and
/// loads it on a miss).
pub(super) struct Scripts {
    pub(super) put_code: redis::Script,
    pub(super) take_code: redis::Script,
    pub(super) use_client: redis::Script,
    pub(super) hit: redis::Script,
    pub(super) revoke_grant: redis::Script,
    pub(super) rotate: redis::Script,
    pub(super) extend: redis::Script,
    pub(super) take_pushed: redis::Script,
    pub(super) register: redis::Script,
}

impl Scripts {
    pub(super) fn new() -> Self {
        Self {
            put_code: redis::Script::new(PUT_CODE),
            take_code: redis::Script::new(TAKE_CODE),
            use_client: redis::Script::new(USE_CLIENT),
            hit: redis::Script::new(HIT),
            // HSET only where the grant exists: no empty record left behind.
            revoke_grant: redis::Script::new(
                "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'revoked', '1') end return 1",
            ),
            rotate: redis::Script::new(ROTATE),
            extend: redis::Script::new(EXTEND),
            take_pushed: redis::Script::new(TAKE_PUSHED),
            register: redis::Script::new(REGISTER),
        }
    }
}
