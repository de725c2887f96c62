-- purge_queue.lua: drop the jobs of vanished requests (moved away) and the
-- jobs handed to another channel (state "m", MoveUnsent) from one queue
-- list, n jobs per call, keeping the others in order.
-- KEYS[1] queue list     {T}:q or {T}:q:<tenant>:<p>
-- KEYS[2] active tenants {T}:tq
-- KEYS[3] pick counters  {T}:tk
-- ARGV[1] tag   ARGV[2] n   ARGV[3] tenant of KEYS[1] ("" for {T}:q)
-- Pops n jobs from the head and pushes back to the tail those whose
-- request exists: n calls that add up to the list's length rotate it once.
-- A tenant whose queues are empty afterwards leaves the fair queue.
-- Returns {popped, kept}.
local jobs = redis.call('LPOP', KEYS[1], tonumber(ARGV[2])) or {}
local keep = {}
for _, job in ipairs(jobs) do
  local id, r, s = split_job(job)
  local m, v = false, nil
  if id then m, v = meta(id, {jfield(r, s)}) end
  if m and not (v[1] and string.sub(v[1], 1, 1) == JS_MOVED) then keep[#keep + 1] = job end
end
push_chunks('RPUSH', KEYS[1], keep)
local tenant = ARGV[3]
if tenant ~= '' and redis.call('EXISTS', qkey(tenant, 'h'), qkey(tenant, 'n'), qkey(tenant, 'l')) == 0 then
  redis.call('ZREM', KEYS[2], tenant)
  redis.call('HDEL', KEYS[3], tenant)
end
return {#jobs, #keep}
