-- ev_ack_batch.lua: events were delivered; forget them (AckEvents).
-- KEYS[1] event leased   {T}:ev:leased
-- ARGV[1] tag   ARGV[2..] event ids (at most ackBatchMax)
-- Three commands per call, whatever the number of ids: which are leased
-- (ZMSCORE), unlease them (ZREM), delete their records (DEL).
-- Returns one integer per id, in order: 1 when the event was leased, 0
-- otherwise (it is deleted anyway).
local ids, keys, out = {}, {}, {}
for i = 2, #ARGV do
  ids[#ids + 1] = ARGV[i]
  keys[#keys + 1] = evkey(ARGV[i])
end
if #ids == 0 then return out end
local scores = redis.call('ZMSCORE', KEYS[1], unpack(ids))
for i = 1, #ids do
  out[i] = scores[i] and 1 or 0
end
redis.call('ZREM', KEYS[1], unpack(ids))
redis.call('DEL', unpack(keys))
return out
