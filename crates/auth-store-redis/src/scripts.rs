//! The Lua scripts that make each store operation one atomic step on the server.
//!
//! Layout, for a store key `K` under prefix `P` (`#` cannot occur in a store key or prefix, so
//! these names never collide with another key's):
//!
//! - `P K` — a hash: `v` the record's version (decimal), `d` its sealed bytes; expires with the
//!   token it holds;
//! - `P K #seq` — a counter (`INCR`) that gives both versions and fencing tokens, so neither
//!   ever repeats while the counter lives;
//! - `P K #lease` — the lease: its holder's id, set with `SET NX PX`;
//! - pub/sub channel `P K` — a message after every save, removal and lease release.

use std::sync::LazyLock;

use redis::Script;

/// The version of the hash at `key`, or false when `key` holds no well-formed record (absent,
/// another type, or a `v` that is not a number): such a key counts as empty and is replaced.
const VERSION_OF: &str = r"
local function version_of(key)
  if redis.call('TYPE', key).ok ~= 'hash' then return false end
  local v = redis.call('HGET', key, 'v')
  if v and string.match(v, '^[0-9]+$') then return v end
  return false
end
";

fn script(body: &str) -> Script {
    Script::new(&format!("{VERSION_OF}{body}"))
}

/// KEYS: record. Returns `{version, sealed}` or nil.
pub(crate) static LOAD: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local v = version_of(KEYS[1])
if not v then return false end
local d = redis.call('HGET', KEYS[1], 'd')
if not d then return false end
return {v, d}
",
    )
});

/// KEYS: record, seq, lease. ARGV: expected version ('' for none), sealed bytes, time to live
/// in ms ('' for none), lease holder ('' for none), channel. Returns the new version, or nil
/// when the record changed or another holder has the lease.
pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
local current = version_of(KEYS[1])
if ARGV[1] == '' then
  if current then return false end
elseif current ~= ARGV[1] then
  return false
end
if ARGV[4] ~= '' then
  local holder = redis.call('GET', KEYS[3])
  if holder and holder ~= ARGV[4] then return false end
end
local v = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', v, 'd', ARGV[2])
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
redis.call('PUBLISH', ARGV[5], 'saved')
return v
",
    )
});

/// KEYS: record. ARGV: expected version, channel. Returns 1 when removed, else 0.
pub(crate) static REMOVE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if version_of(KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'removed')
return 1
",
    )
});

/// KEYS: lease, seq. ARGV: holder prefix, time to live in ms. Returns the fencing token, or
/// nil when the lease is held.
pub(crate) static TRY_LEASE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
if redis.call('SET', KEYS[1], ARGV[1] .. fence, 'NX', 'PX', ARGV[2]) then return fence end
return false
",
    )
});

/// KEYS: lease. ARGV: holder, time to live in ms. Returns 1 when still held and extended.
pub(crate) static RENEW_LEASE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
",
    )
});

/// KEYS: lease. ARGV: holder, channel. Deletes the lease only if `holder` still has it.
pub(crate) static RELEASE_LEASE: LazyLock<Script> = LazyLock::new(|| {
    script(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'released')
return 1
",
    )
});
