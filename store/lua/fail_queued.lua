-- fail_queued.lua: queued and scheduled jobs of a removed channel become
-- final 'failed', one chunk per call.
-- KEYS[1] legacy queue   {T}:q
-- KEYS[2] sched zset     {T}:sched
-- KEYS[3] active tenants {T}:tq
-- KEYS[4] pick counters  {T}:tk
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] limit   ARGV[4] error code
-- ARGV[5] retention (s)   ARGV[6] event id nonce   ARGV[7] usage TTL (s)
-- Pops up to limit jobs: the legacy queue, then each active tenant's
-- queues (a tenant whose queues are empty leaves the fair queue), then the
-- scheduled retries. Each popped job still queued or scheduled becomes
-- final 'failed' with the error code, rolled up with its event like any
-- final outcome; jobs of a request moving to another channel (move_out)
-- are left to the move. Leased and submitted jobs are in none of these
-- and are left alone.
-- Returns {jobs failed, jobs popped, finals}; popped < limit means done.
NOW = ARGV[2]
RETENTION = tonumber(ARGV[5])
NONCE = ARGV[6]
USE_TTL = tonumber(ARGV[7])
local limit, code = tonumber(ARGV[3]), ARGV[4]
local popped, failed = 0, 0

local function fail(jobs)
  popped = popped + #jobs
  for _, job in ipairs(jobs) do
    local id, r, s = split_job(job)
    local m = id and meta(id)
    if m and not m.mv then
      local t = jdecode(redis.call('HGET', reqkey(id), 'j:' .. r .. ':' .. s))
      local old = t[1]
      if old == 'q' or old == 'w' then
        t[1], t[8], t[9] = 'f', code, ''
        set_job(id, m, r, s, old, t, nil)
        failed = failed + 1
      end
    end
  end
end

local jobs = redis.call('LPOP', KEYS[1], limit)
if jobs then fail(jobs) end
if popped < limit then
  for _, tenant in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    for _, p in ipairs({'h', 'n', 'l'}) do
      if popped < limit then
        local j = redis.call('LPOP', qkey(tenant, p), limit - popped)
        if j then fail(j) end
      end
    end
    if redis.call('EXISTS', qkey(tenant, 'h'), qkey(tenant, 'n'), qkey(tenant, 'l')) == 0 then
      redis.call('ZREM', KEYS[3], tenant)
      redis.call('HDEL', KEYS[4], tenant)
    end
    if popped >= limit then break end
  end
end
if popped < limit then
  local j = redis.call('ZRANGE', KEYS[2], 0, limit - popped - 1)
  if #j > 0 then
    redis.call('ZREM', KEYS[2], unpack(j))
    fail(j)
  end
end
flush()
return {failed, popped, FINALS}
