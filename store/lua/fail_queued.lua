-- fail_queued.lua: queued or scheduled jobs of a removed channel become
-- final 'failed', one chunk of one queue list or of the scheduled retries
-- per call.
-- KEYS[1] queue list {T}:q or {T}:q:<tenant>:<p>, or sched zset {T}:sched
-- KEYS[2] active tenants {T}:tq
-- KEYS[3] pick counters  {T}:tk
-- KEYS[4] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] n   ARGV[4] error code
-- ARGV[5] retention (s)   ARGV[6] event id nonce   ARGV[7] usage TTL (s)
-- ARGV[8] "q": KEYS[1] is a queue list of tenant ARGV[9] ("" for {T}:q)
--         "z": KEYS[1] is the sched zset, read from offset ARGV[9]
-- A queue list: pops n jobs from the head; jobs of a request moving to
-- another channel (move_out) are pushed back to the tail, so that a rerun
-- of MoveQueued still finds the request (calls whose n add up to the
-- list's length rotate it once); a tenant whose queues are empty
-- afterwards leaves the fair queue. The sched zset: reads n jobs from the
-- offset; those of a moving request stay (the caller moves the offset
-- past them), the others are removed. Each other job still queued or
-- scheduled becomes final 'failed' with the error code, rolled up with
-- its event like any final outcome. Leased and submitted jobs are in none
-- of these and are left alone.
-- Returns {jobs failed, jobs read, jobs kept (moving), finals}.
K_EVQ = KEYS[4]
NOW = ARGV[2]
RETENTION = tonumber(ARGV[5])
NONCE = ARGV[6]
USE_TTL = tonumber(ARGV[7])
local n, code, kind = tonumber(ARGV[3]), ARGV[4], ARGV[8]
local failed, keep = 0, {}

-- fail makes the queued or scheduled jobs failed and returns those of
-- moving requests.
local function fail(jobs)
  local done = {}
  for _, job in ipairs(jobs) do
    local id, r, s = split_job(job)
    local m, v = false, nil
    if id then m, v = meta(id, {jfield(r, s)}) end
    if m and m.mv then
      keep[#keep + 1] = job
    else
      done[#done + 1] = job
      if m then
        local t = jdecode(v[1])
        local old = t[J_STATE]
        if old == JS_QUEUED or old == JS_SCHEDULED then
          t[J_STATE], t[J_ERR], t[J_OWNER] = JS_FAILED, code, ''
          set_job(id, m, r, s, old, t, nil)
          failed = failed + 1
        end
      end
    end
  end
  return done
end

local jobs
if kind == 'z' then
  local off = tonumber(ARGV[9])
  jobs = redis.call('ZRANGE', KEYS[1], off, off + n - 1)
  local done = fail(jobs)
  push_chunks('ZREM', KEYS[1], done)
else
  jobs = redis.call('LPOP', KEYS[1], n) or {}
  fail(jobs)
  push_chunks('RPUSH', KEYS[1], keep)
  local tenant = ARGV[9]
  if tenant ~= '' and redis.call('EXISTS', qkey(tenant, 'h'), qkey(tenant, 'n'), qkey(tenant, 'l')) == 0 then
    redis.call('ZREM', KEYS[2], tenant)
    redis.call('HDEL', KEYS[3], tenant)
  end
end
flush()
return {failed, #jobs, #keep, FINALS}
