-- idem_complete.lua: store the response of a reserved idempotent request.
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] status code   ARGV[3] response body
-- ARGV[4] request id  ARGV[5] TTL (ms)      ARGV[6] now (ms)
-- Returns 1, or 0 when the key belongs to another body (nothing written).
local h = redis.call('HGET', KEYS[1], 'hash')
if h and h ~= ARGV[1] then return 0 end
if not h then redis.call('HSET', KEYS[1], 'at', ARGV[6]) end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'state', 'done', 'code', ARGV[2], 'body', ARGV[3], 'rid', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
