-- ev_ack.lua: an event was delivered; forget it.
-- KEYS[1] event leased   {T}:ev:leased
-- ARGV[1] tag   ARGV[2] event id
-- Returns 1 when the event was leased, 0 otherwise (it is deleted anyway).
local eid = ARGV[2]
local n = redis.call('ZREM', KEYS[1], eid)
redis.call('DEL', evkey(eid))
return n
