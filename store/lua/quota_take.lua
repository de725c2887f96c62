-- quota_take.lua: take n segments from a tenant's daily quota, or refuse.
-- KEYS[1] quota counter  <prefix>:quota:{<tenant>}:<day>
-- ARGV[1] n   ARGV[2] limit   ARGV[3] TTL of a new counter (s)
-- Refuses (nothing written) when used + n would exceed limit; else adds n,
-- setting the TTL when the counter is new.
-- Returns {1 taken | 0 refused, used after the call}.
local n, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + n > limit then return {0, used} end
used = redis.call('INCRBY', KEYS[1], n)
redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX')
return {1, used}
