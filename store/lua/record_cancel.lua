-- record_cancel.lua: record CMPP_CANCEL outcomes of submitted jobs.
-- KEYS[1] await zset     {T}:await
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] retention (s)   ARGV[4] event id nonce
-- ARGV[5] usage TTL (s)
-- ARGV[6..] 3 per outcome: job, msg_id, "1" cancelled / "0" not cancelled
-- A successful cancel makes the job final 'cancelled' (no report will
-- come); a failed one is noted as error code "cancel_failed" while the job
-- keeps waiting for its report.
-- Returns {applied, finals}.
NOW = ARGV[2]
RETENTION = tonumber(ARGV[3])
NONCE = ARGV[4]
USE_TTL = tonumber(ARGV[5])
local n = 0
for i = 6, #ARGV, 3 do
  local job, mid, ok = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local id, r, s = split_job(job)
  local m, v = false, nil
  if id then m, v = meta(id, {jfield(r, s)}) end
  if m then
    local t = jdecode(v[1])
    if awaits(t, mid) then
      local old = t[1]
      if ok == '1' then
        t[1] = 'c'
        t[8] = 'cancelled'
        AWAIT_DEL[#AWAIT_DEL + 1] = job
      else
        t[8] = 'cancel_failed'
      end
      set_job(id, m, r, s, old, t, nil)
      n = n + 1
    end
  end
end
flush()
return {n, FINALS}
