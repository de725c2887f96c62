-- idem_complete.lua: store the response of a reserved idempotent request.
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] status code   ARGV[3] response body
-- ARGV[4] request id  ARGV[5] TTL (ms)      ARGV[6] now (ms)
-- Returns 1, or 0 when the key belongs to another body or is reserved for
-- another request id (nothing written).
local v = redis.call('HMGET', KEYS[1], 'hash', 'state', 'rid')
if v[1] and v[1] ~= ARGV[1] then return 0 end
if v[2] == 'pending' and v[3] and v[3] ~= '' and v[3] ~= ARGV[4] then return 0 end
if not v[1] then redis.call('HSET', KEYS[1], 'at', ARGV[6]) end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'state', 'done', 'code', ARGV[2], 'body', ARGV[3], 'rid', ARGV[4])
-- The quota charge noted for this request stands (it exists), the one
-- handed back at a take-over was handed back: a done record keeps neither.
redis.call('HDEL', KEYS[1], 'dl', 'qd', 'qn', 'rd', 'rn')
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
