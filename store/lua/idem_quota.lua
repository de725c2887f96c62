-- idem_quota.lua: note on a pending reservation the daily quota its
-- request took, so that the retry which takes the key over (the request
-- settled as not stored) gives exactly that back.
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] request id   ARGV[3] quota day   ARGV[4] segments
-- Returns 1 when the record is pending with this body and request id (it
-- now holds the charge: 'qd' day, 'qn' segments), else 0: nothing written.
-- Run twice (go-redis resends a command whose reply was lost), it writes
-- the same values and answers 1 again.
local v = redis.call('HMGET', KEYS[1], 'hash', 'state', 'rid')
if v[1] ~= ARGV[1] or v[2] ~= 'pending' or v[3] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'qd', ARGV[3], 'qn', ARGV[4])
return 1
