-- record_cancel.lua: record CMPP_CANCEL outcomes of submitted jobs.
-- KEYS[1] await zset     {T}:await
-- KEYS[2] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] retention (s)   ARGV[4] event id nonce
-- ARGV[5] usage TTL (s)
-- ARGV[6..] 3 per outcome: job, msg_id, "1" cancelled / "0" not cancelled
-- A successful cancel makes the job final 'cancelled' (no report will
-- come); a failed one is noted as error code "cancel_failed" while the job
-- keeps waiting for its report.
-- Returns {applied, finals}.
K_AWAIT, K_EVQ = KEYS[1], KEYS[2]
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
      local old = t[J_STATE]
      if ok == '1' then
        t[J_STATE] = JS_CANCELLED
        t[J_ERR] = 'cancelled'
        AWAIT_DEL[#AWAIT_DEL + 1] = job
      else
        t[J_ERR] = 'cancel_failed'
      end
      set_job(id, m, r, s, old, t, nil)
      n = n + 1
    end
  end
end
flush()
return {n, FINALS}
