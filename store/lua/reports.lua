-- reports.lua: apply a batch of status reports.
-- KEYS[1] await zset     {T}:await
-- KEYS[2] park flag      {T}:parked: set with the park TTL on every park,
--                        so it exists while a parked report may (read by
--                        submitted.lua)
-- KEYS[3] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] park TTL (s)   ARGV[4] retention (s)
-- ARGV[5] event id nonce   ARGV[6] usage TTL (s)
-- ARGV[7..] 5 per report: msg_id, stat, submit_time, done_time, dest
-- A msg_id without mapping is parked (SUBMIT_RESP not seen yet); a report
-- for a job that is not waiting for one (final already) is ignored;
-- ACCEPTD is recorded but not final; any other stat makes the job final
-- (DELIVRD delivered, else failed) and rolls its recipient up.
-- Returns {codes, finals}: codes has 4 values per report: code ("m" final,
-- "i" interim, "p" parked, "d" duplicate/ignored), job ("" when parked),
-- event id or "", the job's submitted_at (ms) or ""; finals lists requests
-- that became final.
K_AWAIT, K_EVQ = KEYS[1], KEYS[3]
NOW = ARGV[2]
RETENTION = tonumber(ARGV[4])
NONCE = ARGV[5]
USE_TTL = tonumber(ARGV[6])
local park_ttl = ARGV[3]
local codes = {}
for i = 7, #ARGV, 5 do
  local mid, stat, sub, done, dest = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local code, eid, subat = 'd', nil, ''

  local job = redis.call('GET', midkey(mid))
  if not job then
    job = ''
    code = 'p'
    redis.call('SET', parkkey(mid),
      stat .. '|' .. sub .. '|' .. done .. '|' .. dest .. '|' .. NOW, 'EX', park_ttl)
    redis.call('SET', KEYS[2], '1', 'EX', park_ttl)
  else
    local id, r, s = split_job(job)
    local m, v = false, nil
    -- one HMGET: meta (first job of the request) + the job and its
    -- number (the report may finish the recipient)
    if id then m, v = meta(id, {jfield(r, s), F_TO .. r}) end
    if m then
      local t = jdecode(v[1])
      if awaits(t, mid) then
        subat = t[J_SUBAT]
        code, eid = apply_report(id, m, r, s, job, t, JS_SUBMITTED, stat, done, NOW, v[2] or '')
      end
    end
  end
  codes[#codes + 1] = code
  codes[#codes + 1] = job
  codes[#codes + 1] = eid or ''
  codes[#codes + 1] = subat
end
flush()
return {codes, FINALS}
