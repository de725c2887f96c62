-- ev_dead.lua: give up on an event; keep it in the dead-letter set.
-- KEYS[1] event leased   {T}:ev:leased
-- KEYS[2] event died     {T}:ev:died
-- ARGV[1] tag   ARGV[2] event id   ARGV[3] now (ms)   ARGV[4] last error
-- ARGV[5] retention (s)   ARGV[6] oldest dead time kept (ms)
-- The record {T}:ev:<eid> gets "lerr", "dead" and the retention TTL; dead
-- entries older than ARGV[6] are trimmed. Returns 1, or 0 when the event
-- is not leased.
local eid = ARGV[2]
if redis.call('ZREM', KEYS[1], eid) == 0 then return 0 end
local key = evkey(eid)
local names, vals = ev_load(key)
if not names then return 0 end
ev_set(names, vals, 'lerr', ARGV[4])
ev_set(names, vals, 'dead', ARGV[3])
redis.call('SET', key, ev_encode(names, vals), 'EX', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], eid)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
return 1
