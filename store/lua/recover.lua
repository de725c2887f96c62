-- recover.lua: expired job and event leases back to their queues; jobs
-- recovered too often become final 'unknown'.
-- KEYS[1] lease zset     {T}:lease
-- KEYS[2] active tenants {T}:tq
-- KEYS[3] event lease    {T}:ev:leased
-- KEYS[4] event queue    {T}:ev:ready (lib: K_EVQ)
-- KEYS[5] virtual clock  {T}:vc (lib: K_VC)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] limit per kind
-- ARGV[4] retention (s)   ARGV[5] event id nonce
-- ARGV[6] max recoveries  ARGV[7] error code of a job recovered too often
-- ARGV[8] usage TTL (s)
-- Every expired lease of a leased job counts in the request hash field
-- "rc:<r>:<s>" (a lease renewed by Extend never expires, so it does not
-- count). A job whose count exceeds max recoveries — its SUBMIT killed or
-- stalled every worker that took it — becomes final 'unknown' with the
-- error code (rolled up, with its event, like every final outcome: it may
-- have been sent). Other jobs go to the head of their tenant's queue (of
-- their priority; the tenant becomes active if it was not) in state q
-- (their attempts count keeps the lease that expired). Events are not
-- capped: see Store.Recover.
-- Returns {jobs recovered, jobs scanned, events recovered, jobs ended,
-- finals}; scanned or events equal to limit means more remain.
K_TQ, K_VC, K_EVQ = KEYS[2], KEYS[5], KEYS[4]
NOW = ARGV[2]
RETENTION = tonumber(ARGV[4])
NONCE = ARGV[5]
USE_TTL = tonumber(ARGV[8])
local limit, maxrec, code = tonumber(ARGV[3]), tonumber(ARGV[6]), ARGV[7]
local jobs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'LIMIT', 0, limit)
local pushed = 0
local ended = 0
for _, job in ipairs(jobs) do
  redis.call('ZREM', KEYS[1], job)
  local id, r, s = split_job(job)
  local m, v = false, nil
  local rc = F_RC .. r .. ':' .. s
  if id then m, v = meta(id, {jfield(r, s), rc}) end
  if m then
    local t = jdecode(v[1])
    if t[J_STATE] == JS_LEASED then
      t[J_OWNER] = ''
      local n = (tonumber(v[2]) or 0) + 1
      hset(id, m, rc, tostring(n))
      if n > maxrec then
        t[J_STATE] = JS_UNKNOWN
        t[J_ERR] = code
        set_job(id, m, r, s, JS_LEASED, t, nil)
        ended = ended + 1
      else
        t[J_STATE] = JS_QUEUED
        hset(id, m, jfield(r, s), jencode(t))
        if not m.mv then
          queue_job(m, job)
          pushed = pushed + 1
        end
      end
    end
  end
end
push_queued(true)
local evs = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', NOW, 'LIMIT', 0, limit)
if #evs > 0 then
  redis.call('ZREM', KEYS[3], unpack(evs))
  redis.call('RPUSH', KEYS[4], unpack(evs))
end
flush()
return {pushed, #jobs, #evs, ended, FINALS}
