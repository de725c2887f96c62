-- idem_release.lua: drop a pending reservation (the request failed).
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash
-- Returns 1 when a pending reservation with this hash was deleted, else 0.
local v = redis.call('HMGET', KEYS[1], 'hash', 'state')
if v[1] == ARGV[1] and v[2] == 'pending' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
