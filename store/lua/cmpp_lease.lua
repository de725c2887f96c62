-- cmpp_lease.lua: lease a CMPP account's oldest DELIVER entries.
-- KEYS[1] ready entries  {T}:cq:<account>   (id -> enqueue ms)
-- KEYS[2] leased entries {T}:cql:<account>  (id -> lease deadline ms)
-- KEYS[3] entry payloads {T}:cqd:<account>  (id -> payload)
-- ARGV[1] now (ms)   ARGV[2] lease deadline (ms)   ARGV[3] max entries
-- ARGV[4] retention cut-off (ms): entries enqueued before it are dropped
-- First the expired leases go back to KEYS[1] with their enqueue time
-- (field 2 of the payload), then up to 1000 entries older than the
-- retention are dropped, then up to max entries, oldest first, move to
-- KEYS[2]. An id without payload (acked meanwhile) is dropped.
-- Returns {dropped, {id, payload, ...}}.
local now, deadline, max, cut = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local function enq(p) return string.match(p, '^[^|]*|([^|]*)|') end
local exp = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
if #exp > 0 then
  local ps = redis.call('HMGET', KEYS[3], unpack(exp))
  redis.call('ZREM', KEYS[2], unpack(exp))
  local add = {}
  for i, id in ipairs(exp) do
    local e = ps[i] and enq(ps[i])
    if e then
      add[#add + 1] = e
      add[#add + 1] = id
    end
  end
  if #add > 0 then redis.call('ZADD', KEYS[1], unpack(add)) end
end
local dropped = 0
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cut, 'LIMIT', 0, 1000)
if #old > 0 then
  redis.call('ZREM', KEYS[1], unpack(old))
  redis.call('HDEL', KEYS[3], unpack(old))
  dropped = #old
end
local out = {}
if max < 1 then return {dropped, out} end
local ids = redis.call('ZRANGE', KEYS[1], 0, max - 1)
if #ids == 0 then return {dropped, out} end
redis.call('ZREM', KEYS[1], unpack(ids))
local ps = redis.call('HMGET', KEYS[3], unpack(ids))
local add = {}
for i, id in ipairs(ids) do
  if ps[i] then
    add[#add + 1] = deadline
    add[#add + 1] = id
    out[#out + 1] = id
    out[#out + 1] = ps[i]
  end
end
if #add > 0 then redis.call('ZADD', KEYS[2], unpack(add)) end
return {dropped, out}
