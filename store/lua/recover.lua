-- recover.lua: expired job and event leases back to their queues; jobs
-- recovered too often become final 'unknown'.
-- KEYS[1] lease zset     {T}:lease
-- KEYS[2] queue list     {T}:q
-- KEYS[3] event lease    {T}:ev:lease
-- KEYS[4] event queue    {T}:ev:q
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] limit per kind
-- ARGV[4] retention (s)   ARGV[5] event id nonce
-- ARGV[6] max recoveries  ARGV[7] error code of a job recovered too often
-- Every expired lease of a leased job counts in the request hash field
-- "rc:<r>:<s>" (a lease renewed by Extend never expires, so it does not
-- count). A job whose count exceeds max recoveries — its SUBMIT killed or
-- stalled every worker that took it — becomes final 'unknown' with the
-- error code (rolled up, with its event, like every final outcome: it may
-- have been sent). Other jobs go to the head of the queue in state q
-- (their attempts count keeps the lease that expired). Events are not
-- capped: see Store.Recover.
-- Returns {jobs recovered, jobs scanned, events recovered, jobs ended,
-- finals}; scanned or events equal to limit means more remain.
NOW = ARGV[2]
RETENTION = tonumber(ARGV[4])
NONCE = ARGV[5]
local limit, maxrec, code = tonumber(ARGV[3]), tonumber(ARGV[6]), ARGV[7]
local jobs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'LIMIT', 0, limit)
local push = {}
local ended = 0
for _, job in ipairs(jobs) do
  redis.call('ZREM', KEYS[1], job)
  local id, r, s = split_job(job)
  local m = id and meta(id)
  if m then
    local req = reqkey(id)
    local t = jdecode(redis.call('HGET', req, 'j:' .. r .. ':' .. s))
    if t[1] == 'l' then
      t[9] = ''
      if redis.call('HINCRBY', req, 'rc:' .. r .. ':' .. s, 1) > maxrec then
        t[1] = 'u'
        t[8] = code
        set_job(id, m, r, s, 'l', t, nil)
        ended = ended + 1
      else
        t[1] = 'q'
        redis.call('HSET', req, 'j:' .. r .. ':' .. s, jencode(t))
        push[#push + 1] = job
      end
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
flush()
return {#push, #jobs, #evs, ended, FINALS}
