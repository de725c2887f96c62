-- idem_reserve.lua: reserve an idempotency key, or return its record.
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] now (ms)   ARGV[3] pending TTL (ms)
-- Returns false when the key was free and is now reserved (state
-- "pending"), else the existing record {hash, state, code, body, request id, created_at}.
local v = redis.call('HMGET', KEYS[1], 'hash', 'state', 'code', 'body', 'rid', 'at')
if v[1] then return v end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'state', 'pending', 'at', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return false
