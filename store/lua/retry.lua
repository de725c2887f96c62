-- retry.lua: put leased jobs back for a delayed retry (Result 8, link loss).
-- KEYS[1] lease zset     {T}:lease
-- KEYS[2] sched zset     {T}:sched
-- ARGV[1] tag   ARGV[2] now (ms)
-- ARGV[3..] 5 per job: job, due time (ms), reason (kept as the error code),
--           lease owner ("" = any), unsent ("1": the SUBMIT was definitely
--           not accepted; "0": it may have been, then "uw:<r>:<s>" marks
--           the job for good: MoveUnsent never moves it)
-- Only leased jobs move, and only while the given owner holds the lease: a
-- job already queued again (its lease expired), leased by another sender,
-- scheduled, submitted or final is left alone.
-- Returns the number of jobs scheduled.
NOW = ARGV[2]
local n = 0
for i = 3, #ARGV, 5 do
  local job, due, reason, owner = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local id, r, s = split_job(job)
  local f = id and jfield(r, s)
  local m, v = false, nil
  if id then m, v = meta(id, {f}) end
  if m then
    local t = jdecode(v[1])
    if t[J_STATE] == JS_LEASED and (owner == '' or t[J_OWNER] == owner) then
      t[J_STATE] = JS_SCHEDULED
      t[J_ERR] = reason
      t[J_OWNER] = ''
      m.h[f] = jencode(t) -- written at once: this script does not flush
      if ARGV[i + 4] == '1' then
        redis.call('HSET', reqkey(id), f, m.h[f])
      else
        redis.call('HSET', reqkey(id), f, m.h[f], F_UW .. r .. ':' .. s, '1')
      end
      redis.call('ZREM', KEYS[1], job)
      redis.call('ZADD', KEYS[2], due, job)
      n = n + 1
    end
  end
end
return n
