-- ev_replay.lua: move a dead-lettered event back to the ready list.
-- KEYS[1] event died     {T}:ev:died
-- KEYS[2] event ready    {T}:ev:ready
-- ARGV[1] tag   ARGV[2] event id
-- Attempts restart at 0; the saved body and last error are kept (same
-- bytes are resent); the record loses its TTL, "dead" and "next". A
-- dead event hash of the previous version becomes a record.
-- Returns 1, or 0 when the event is not dead-lettered (or has expired).
local eid = ARGV[2]
local key = evkey(eid)
if redis.call('ZREM', KEYS[1], eid) == 0 then return 0 end
local names, vals = ev_load(key)
if not names then return 0 end
ev_set(names, vals, 'att', '0')
vals.dead, vals.next = nil, nil
redis.call('SET', key, ev_encode(names, vals))
redis.call('RPUSH', KEYS[2], eid)
return 1
