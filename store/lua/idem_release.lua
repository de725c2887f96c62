-- idem_release.lua: drop a pending reservation whose request was not
-- stored, so a retry may reserve the key again at once.
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] request id of the reservation
-- Returns 1 when a pending reservation with this hash and request id was
-- deleted, else 0.
local v = redis.call('HMGET', KEYS[1], 'hash', 'state', 'rid')
if v[1] == ARGV[1] and v[2] == 'pending' and (v[3] or '') == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
