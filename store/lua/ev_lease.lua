-- ev_lease.lua: move due event retries to the ready list, then lease up to max events.
-- KEYS[1] event queue    {T}:ev:q
-- KEYS[2] event sched    {T}:ev:sched
-- KEYS[3] event lease    {T}:ev:lease
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] lease deadline (ms)   ARGV[4] max
-- Each leased event's "att" is incremented (the reply carries the new
-- value). Ids whose hash is gone are dropped. The lease ZSET gets one ZADD
-- per call.
-- Returns a list of HGETALL arrays, one per event.
NOW = ARGV[2]
local deadline, max = ARGV[3], tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', NOW, 'LIMIT', 0, 1000)
if #due > 0 then
  redis.call('ZREM', KEYS[2], unpack(due))
  redis.call('RPUSH', KEYS[1], unpack(due))
end
local out, zadd = {}, {}
local ids = redis.call('LPOP', KEYS[1], max)
if not ids then return out end
for _, eid in ipairs(ids) do
  local key = TAG .. ':ev:' .. eid
  local h = redis.call('HGETALL', key)
  if #h > 0 then
    local att = tostring(redis.call('HINCRBY', key, 'att', 1))
    local found = false
    for i = 1, #h, 2 do
      if h[i] == 'att' then
        h[i + 1], found = att, true
        break
      end
    end
    if not found then
      h[#h + 1] = 'att'
      h[#h + 1] = att
    end
    zadd[#zadd + 1] = deadline
    zadd[#zadd + 1] = eid
    out[#out + 1] = h
  end
end
push_chunks('ZADD', KEYS[3], zadd)
return out
