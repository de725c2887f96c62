-- ev_replay.lua: move a dead-lettered event back to the ready list.
-- KEYS[1] event dead     {T}:ev:dead
-- KEYS[2] event queue    {T}:ev:q
-- ARGV[1] tag   ARGV[2] event id
-- Attempts restart at 0; the saved body is kept (same bytes are resent).
-- Returns 1, or 0 when the event is not dead-lettered (or has expired).
local eid = ARGV[2]
local key = TAG .. ':ev:' .. eid
if redis.call('ZREM', KEYS[1], eid) == 0 then return 0 end
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('PERSIST', key)
redis.call('HSET', key, 'att', '0')
redis.call('HDEL', key, 'dead', 'next')
redis.call('RPUSH', KEYS[2], eid)
return 1
