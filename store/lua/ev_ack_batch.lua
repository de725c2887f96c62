-- ev_ack_batch.lua: events were delivered; forget them (AckEvents).
-- KEYS[1] event lease    {T}:ev:lease
-- ARGV[1] tag   ARGV[2..] event ids
-- Returns one integer per id, in order: 1 when the event was leased, 0
-- otherwise (it is deleted anyway).
local out = {}
for i = 2, #ARGV do
  local eid = ARGV[i]
  out[i - 1] = redis.call('ZREM', KEYS[1], eid)
  redis.call('DEL', TAG .. ':ev:' .. eid)
end
return out
