-- ev_legacy.lua: move the previous version's events to the current list and sets.
-- KEYS[1] legacy queue   {T}:ev:q       KEYS[2] legacy sched  {T}:ev:sched
-- KEYS[3] legacy lease   {T}:ev:lease   KEYS[4] legacy dead   {T}:ev:dead
-- KEYS[5] event ready    {T}:ev:ready   KEYS[6] event died    {T}:ev:died
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] limit per kind
-- Ready ids, due retries and expired leases go to the ready list (as ids:
-- ev_lease.lua reads their hashes and rewrites them as records); dead
-- entries keep their time in the died set (their hashes keep their TTL).
-- Leases not expired and retries not due stay: a process of the previous
-- version may still own them.
-- Returns {ready moved, retries moved, leases expired, dead moved}.
local now, limit = ARGV[2], tonumber(ARGV[3])
-- chunked runs cmd key v... in chunks of 1000 values (Lua's unpack is
-- limited to a few thousand values; limit may be larger).
local function chunked(cmd, key, vals)
  for i = 1, #vals, 1000 do
    redis.call(cmd, key, unpack(vals, i, math.min(i + 999, #vals)))
  end
end
local q = redis.call('LPOP', KEYS[1], limit) or {}
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
local exp = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
chunked('ZREM', KEYS[2], due)
chunked('ZREM', KEYS[3], exp)
for _, l in ipairs({q, due, exp}) do
  chunked('RPUSH', KEYS[5], l)
end
local dead = redis.call('ZRANGE', KEYS[4], 0, limit - 1, 'WITHSCORES')
if #dead > 0 then
  local add, ids = {}, {}
  for i = 1, #dead, 2 do
    add[#add + 1] = dead[i + 1]
    add[#add + 1] = dead[i]
    ids[#ids + 1] = dead[i]
  end
  chunked('ZADD', KEYS[6], add)
  chunked('ZREM', KEYS[4], ids)
end
return {#q, #due, #exp, #dead / 2}
