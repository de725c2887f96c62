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
local q = redis.call('LPOP', KEYS[1], limit) or {}
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
local exp = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
if #due > 0 then redis.call('ZREM', KEYS[2], unpack(due)) end
if #exp > 0 then redis.call('ZREM', KEYS[3], unpack(exp)) end
for _, l in ipairs({q, due, exp}) do
  if #l > 0 then redis.call('RPUSH', KEYS[5], unpack(l)) end
end
local dead = redis.call('ZRANGE', KEYS[4], 0, limit - 1, 'WITHSCORES')
if #dead > 0 then
  local add, ids = {}, {}
  for i = 1, #dead, 2 do
    add[#add + 1] = dead[i + 1]
    add[#add + 1] = dead[i]
    ids[#ids + 1] = dead[i]
  end
  redis.call('ZADD', KEYS[6], unpack(add))
  redis.call('ZREM', KEYS[4], unpack(ids))
end
return {#q, #due, #exp, #dead / 2}
