-- ev_retry.lua: a delivery attempt failed; try again at a given time.
-- KEYS[1] event lease    {T}:ev:lease
-- KEYS[2] event sched    {T}:ev:sched
-- ARGV[1] tag   ARGV[2] event id   ARGV[3] retry time (ms)   ARGV[4] last error
-- Returns 1, or 0 when the event is not leased (nothing changed).
local eid = ARGV[2]
if redis.call('ZREM', KEYS[1], eid) == 0 then return 0 end
local key = TAG .. ':ev:' .. eid
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'lerr', ARGV[4], 'next', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], eid)
return 1
