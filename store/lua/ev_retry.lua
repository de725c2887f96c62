-- ev_retry.lua: a delivery attempt failed; try again at a given time.
-- KEYS[1] event leased   {T}:ev:leased
-- KEYS[2] event retry    {T}:ev:retry
-- ARGV[1] tag   ARGV[2] event id   ARGV[3] retry time (ms)   ARGV[4] last error
-- The record {T}:ev:<eid> gets "lerr" and "next".
-- Returns 1, or 0 when the event is not leased (nothing changed).
local eid = ARGV[2]
if redis.call('ZREM', KEYS[1], eid) == 0 then return 0 end
local key = evkey(eid)
local names, vals = ev_load(key)
if not names then return 0 end
ev_set(names, vals, 'lerr', ARGV[4])
ev_set(names, vals, 'next', ARGV[3])
redis.call('SET', key, ev_encode(names, vals))
redis.call('ZADD', KEYS[2], ARGV[3], eid)
return 1
