-- idem_reserve.lua: reserve an idempotency key for a request id, or return
-- its record.
-- KEYS[1] idempotency hash   <prefix>:idem:<tenant>:<key>
-- ARGV[1] body hash   ARGV[2] now (ms)   ARGV[3] TTL (ms)
-- ARGV[4] request id the caller will create
-- ARGV[5] create deadline (wall-clock ms) of that request
-- Returns false when the key was free and is now reserved (state
-- "pending", holding the request id and its deadline), else the existing
-- record {hash, state, code, body, request id, created_at, deadline}.
-- The reservation lives as long as a completed record: a request stored
-- but never completed (the answer was lost) is found by a retry, which
-- settles it (store.ResolveCreate) instead of creating a second one.
-- A pending reservation of this same body and request id is this call's
-- own, run again (go-redis resends a command whose reply was lost): it
-- answers false again, not "in progress" for the caller's own request.
local v = redis.call('HMGET', KEYS[1], 'hash', 'state', 'code', 'body', 'rid', 'at', 'dl')
if v[1] then
  if v[1] == ARGV[1] and v[2] == 'pending' and v[5] == ARGV[4] then return false end
  return v
end
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'state', 'pending', 'at', ARGV[2], 'rid', ARGV[4], 'dl', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return false
