-- ev_lease.lua: move due event retries to the ready list, then lease up to max events.
-- KEYS[1] event ready    {T}:ev:ready
-- KEYS[2] event retry    {T}:ev:retry
-- KEYS[3] event leased   {T}:ev:leased
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] lease deadline (ms)   ARGV[4] max
-- A ready entry is a new event's record (lib.lua new_event: "~" first) or
-- the id of an event whose record is in {T}:ev:<eid> (a retry, an expired
-- lease, a replay, or an event hash of the previous version, which is
-- rewritten as a record here). Each leased event's "att" is incremented
-- and its record written to {T}:ev:<eid> (one MSET per call), so that an
-- expired lease, RetryEvent, DeadLetter and SaveEventBody find it. Ids
-- whose event is gone (acked elsewhere) are dropped. The leased ZSET gets
-- one ZADD per call.
-- Returns the records of the leased events, in order.
NOW = ARGV[2]
local deadline, max = ARGV[3], tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', NOW, 'LIMIT', 0, 1000)
if #due > 0 then
  redis.call('ZREM', KEYS[2], unpack(due))
  redis.call('RPUSH', KEYS[1], unpack(due))
end
local out, zadd, mset = {}, {}, {}
local entries = redis.call('LPOP', KEYS[1], max)
if not entries then return out end
for _, e in ipairs(entries) do
  local eid, rec
  if string.byte(e, 1) == 126 then
    -- A new record: id first, no "att" yet.
    local n, p = string.match(e, '^~id(%d+):()')
    if n then
      eid = string.sub(e, p, p + tonumber(n) - 1)
      rec = '~att1:1' .. string.sub(e, 2)
    end
  else
    eid = e
    local names, vals = ev_load(evkey(eid))
    if names then
      ev_set(names, vals, 'att', tostring((tonumber(vals.att) or 0) + 1))
      rec = ev_encode(names, vals)
    end
  end
  if rec then
    mset[#mset + 1] = evkey(eid)
    mset[#mset + 1] = rec
    zadd[#zadd + 1] = deadline
    zadd[#zadd + 1] = eid
    out[#out + 1] = rec
  end
end
local i = 1
while i <= #mset do
  local j = math.min(i + 999, #mset)
  redis.call('MSET', unpack(mset, i, j))
  i = j + 1
end
push_chunks('ZADD', KEYS[3], zadd)
return out
