-- recover.lua: expired job and event leases back to their queues.
-- KEYS[1] lease zset     {T}:lease
-- KEYS[2] queue list     {T}:q
-- KEYS[3] event lease    {T}:ev:lease
-- KEYS[4] event queue    {T}:ev:q
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] limit per kind
-- Recovered jobs go to the head of the queue in state q (their attempts
-- count keeps the lease that expired). Returns {jobs recovered, jobs
-- scanned, events recovered}; scanned or events equal to limit means more remain.
NOW = ARGV[2]
local limit = tonumber(ARGV[3])
local jobs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'LIMIT', 0, limit)
local push = {}
for _, job in ipairs(jobs) do
  redis.call('ZREM', KEYS[1], job)
  local id, r, s = split_job(job)
  if id then
    local f = 'j:' .. r .. ':' .. s
    local t = jdecode(redis.call('HGET', reqkey(id), f))
    if t[1] == 'l' then
      t[1] = 'q'
      t[9] = ''
      redis.call('HSET', reqkey(id), f, jencode(t))
      push[#push + 1] = job
    end
  end
end
if #push > 0 then
  local rev = {}
  for i = #push, 1, -1 do rev[#rev + 1] = push[i] end
  redis.call('LPUSH', KEYS[2], unpack(rev))
end
local evs = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', NOW, 'LIMIT', 0, limit)
if #evs > 0 then
  redis.call('ZREM', KEYS[3], unpack(evs))
  redis.call('RPUSH', KEYS[4], unpack(evs))
end
return {#push, #jobs, #evs}
