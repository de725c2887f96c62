-- idem_takeover.lua: move a pending reservation whose request was settled
-- as not stored to a new request id (the retry creates that one).
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] old request id   ARGV[3] new request id
-- ARGV[4] create deadline (wall-clock ms) of the new request
-- Returns 1, or 0 when the record is not pending with that hash and old id
-- (another retry took it over, or it completed): nothing written. A
-- record already pending for the new id is this call's own, run again
-- (go-redis resends a command whose reply was lost): 1 again.
local v = redis.call('HMGET', KEYS[1], 'hash', 'state', 'rid')
if v[1] == ARGV[1] and v[2] == 'pending' and v[3] == ARGV[3] then return 1 end
if v[1] ~= ARGV[1] or v[2] ~= 'pending' or v[3] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'rid', ARGV[3], 'dl', ARGV[4])
return 1
