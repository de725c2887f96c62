-- part_in.lua: apply one transfer of recipients to this channel's copy of a
-- request (a part; store/parts.go): create the part, or append the
-- recipients to the copy this channel already holds, and queue their jobs.
-- KEYS[1] request hash   {T}:req:<id> (target channel)
-- KEYS[2] active tenants {T}:tq
-- KEYS[3] virtual clock  {T}:vc
-- ARGV[1] tag   ARGV[2] request id   ARGV[3] transfer id   ARGV[4] home channel
-- ARGV[5] now (ms: the usage day)    ARGV[6] usage TTL (s)
-- ARGV[7] k = recipients transferred ARGV[8] n = meta ARGVs that follow
-- ARGV[9] "1": count the k×S segments accepted in the tenant's usage here
--         (a create-time transfer: the home did not count them; a move
--         counted them on its source already)
-- ARGV[10 .. 9+n]  meta field/value pairs (used only when the part is new)
-- next k ARGVs     the recipients' original (public) indexes
-- next k ARGVs     their numbers
-- The recipients get local indexes R+1 .. R+k ("ri" maps them back, "ph"
-- names the home); "xa:<transfer id>" records the transfer, so that a
-- rerun (after a crash before part_done.lua) does nothing: a job is queued
-- on one channel only. A copy that was final is reopened (no TTL, no "fin").
-- Returns 1 when applied, 0 when applied already.
K_TQ, K_VC = KEYS[2], KEYS[3]
NOW = ARGV[5]
USE_TTL = tonumber(ARGV[6])
local id, xid, k, n = ARGV[2], ARGV[3], tonumber(ARGV[7]), tonumber(ARGV[8])
local base = 9 + n
local exists = redis.call('EXISTS', KEYS[1]) == 1
if exists and redis.call('HEXISTS', KEYS[1], F_XA .. xid) == 1 then return 0 end
local R0, ri, fields = 0, {}, {}
if exists then
  local v = redis.call('HMGET', KEYS[1], F_R, F_RI, F_FIN)
  R0 = tonumber(v[1])
  if v[2] then
    ri[1] = v[2]
  else
    for r = 1, R0 do ri[r] = tostring(r) end
  end
  if v[3] then
    redis.call('HDEL', KEYS[1], F_FIN)
    redis.call('PERSIST', KEYS[1])
  end
else
  for i = 10, 9 + n do fields[#fields + 1] = ARGV[i] end
end
for i = 1, k do
  ri[#ri + 1] = ARGV[base + i]
  fields[#fields + 1] = F_TO .. (R0 + i)
  fields[#fields + 1] = ARGV[base + k + i]
end
fields[#fields + 1] = F_R
fields[#fields + 1] = tostring(R0 + k)
fields[#fields + 1] = F_RI
fields[#fields + 1] = table.concat(ri, ',')
fields[#fields + 1] = F_PH
fields[#fields + 1] = ARGV[4]
fields[#fields + 1] = F_XA .. xid
fields[#fields + 1] = '1'
push_chunks('HSET', KEYS[1], fields)
local m = meta(id)
for r = R0 + 1, R0 + k do
  for s = 1, m.S do queue_job(m, id .. ':' .. r .. ':' .. s) end
end
push_queued(false)
if ARGV[9] == '1' then
  use_add(m, U_ACCEPTED, k * m.S)
  use_flush()
end
return 1
