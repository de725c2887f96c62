-- idem_takeover.lua: move a pending reservation whose request was settled
-- as not stored to a new request id (the retry creates that one), handing
-- the old request's quota charge to the caller to give back.
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] old request id   ARGV[3] new request id
-- ARGV[4] create deadline (wall-clock ms) of the new request
-- Returns {1, day, segments}: the key is the new id's, and the old id's
-- charge ('qd', 'qn', written by idem_quota.lua; "" when none) is the
-- caller's to return. It moves to 'rd', 'rn' so that nobody else ever
-- sees it. {0}: the record is not pending with that hash and old id
-- (another retry took it over, or it completed): nothing written. A record
-- already pending for the new id is this call's own, run again (go-redis
-- resends a command whose reply was lost): the first run's answer again,
-- from 'rd', 'rn' — the caller got no answer, so it has returned nothing.
local v = redis.call('HMGET', KEYS[1], 'hash', 'state', 'rid', 'qd', 'qn', 'rd', 'rn')
if v[1] == ARGV[1] and v[2] == 'pending' and v[3] == ARGV[3] then
  return {1, v[6] or '', v[7] or ''}
end
if v[1] ~= ARGV[1] or v[2] ~= 'pending' or v[3] ~= ARGV[2] then return {0} end
redis.call('HSET', KEYS[1], 'rid', ARGV[3], 'dl', ARGV[4])
redis.call('HDEL', KEYS[1], 'qd', 'qn', 'rd', 'rn')
if v[4] and v[5] then redis.call('HSET', KEYS[1], 'rd', v[4], 'rn', v[5]) end
return {1, v[4] or '', v[5] or ''}
