-- unsent_out.lua: hand recipients none of whose segments may have reached
-- an operator to other channels (step 1 of Store.MoveUnsent): their jobs
-- here become "m" (moved: never leased, cancelled or counted again) and a
-- transfer record per target is written; forwarding (part_in.lua,
-- part_done.lua) then queues them on the target.
-- KEYS[1] request hash   {F}:req:<id> (source channel)
-- KEYS[2] sched zset     {F}:sched
-- KEYS[3] transfers      {F}:xfer
-- ARGV[1] tag   ARGV[2] request id   ARGV[3] now (ms)
-- ARGV[4..] per target: transfer id, target channel, c, then c local
--           recipient indexes
-- A recipient moves only when it is not final and every one of its jobs is
-- queued or scheduled, never leased, never recovered after a lost lease
-- ("rc:") and never retried after a SUBMIT that may have been written
-- ("uw:"); a request cancelled or moving (MoveQueued) moves nothing.
-- Returns the recipients moved: {transfer id, local index, ...}.
local id = ARGV[2]
local m = meta(id)
if not m or m.cx or m.mv then return {} end
local out, rec, pend, sched = {}, {}, {}, {}
local i = 4
while i <= #ARGV do
  local xid, target, c = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local moved = {}
  for j = i + 3, i + 2 + c do
    local r = ARGV[j]
    local names = {F_RS .. r}
    for s = 1, m.S do
      names[#names + 1] = F_JOB .. r .. ':' .. s
      names[#names + 1] = F_RC .. r .. ':' .. s
      names[#names + 1] = F_UW .. r .. ':' .. s
    end
    local v = fget(id, m, names)
    local ok = tonumber(r) <= m.R and not v[1]
    for s = 1, m.S do
      local st = v[3 * s - 1] and string.sub(v[3 * s - 1], 1, 1) or JS_QUEUED
      if (st ~= JS_QUEUED and st ~= JS_SCHEDULED) or v[3 * s] or v[3 * s + 1] then ok = false end
    end
    if ok then
      for s = 1, m.S do
        local t = jdecode(v[3 * s - 1])
        if t[J_STATE] == JS_SCHEDULED then sched[#sched + 1] = id .. ':' .. r .. ':' .. s end
        t[J_STATE], t[J_OWNER] = JS_MOVED, ''
        rec[#rec + 1] = F_JOB .. r .. ':' .. s
        rec[#rec + 1] = jencode(t)
      end
      rec[#rec + 1] = F_RS .. r
      rec[#rec + 1] = 'moved|' .. target
      moved[#moved + 1] = r
      out[#out + 1] = xid
      out[#out + 1] = r
    end
  end
  if #moved > 0 then
    rec[#rec + 1] = F_XT .. xid
    rec[#rec + 1] = target
    rec[#rec + 1] = F_XR .. xid
    rec[#rec + 1] = table.concat(moved, ',')
    pend[#pend + 1] = xid
    redis.call('HINCRBY', KEYS[1], F_RFIN, #moved)
  end
  i = i + 3 + c
end
if #pend == 0 then return out end
local px = redis.call('HGET', KEYS[1], F_PX)
if px then table.insert(pend, 1, px) end
rec[#rec + 1] = F_PX
rec[#rec + 1] = table.concat(pend, ',')
push_chunks('HSET', KEYS[1], rec)
push_chunks('ZREM', KEYS[2], sched)
redis.call('ZADD', KEYS[3], 'NX', ARGV[3], id)
return out
