-- sweep.lua: submitted jobs whose report never came become final 'unknown'.
-- KEYS[1] await zset     {T}:await
-- KEYS[2] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] limit   ARGV[4] retention (s)
-- ARGV[5] event id nonce   ARGV[6] error code   ARGV[7] usage TTL (s)
-- Returns {swept, scanned, finals}: scanned < limit means the sweep is done.
K_AWAIT, K_EVQ = KEYS[1], KEYS[2]
NOW = ARGV[2]
RETENTION = tonumber(ARGV[4])
NONCE = ARGV[5]
USE_TTL = tonumber(ARGV[7])
local code = ARGV[6]
local jobs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[3]))
local n = 0
for _, job in ipairs(jobs) do
  AWAIT_DEL[#AWAIT_DEL + 1] = job
  local id, r, s = split_job(job)
  local m, v = false, nil
  if id then m, v = meta(id, {jfield(r, s)}) end
  if m then
    local t = jdecode(v[1])
    if t[J_STATE] == JS_SUBMITTED then
      t[J_STATE] = JS_UNKNOWN
      t[J_ERR] = code
      set_job(id, m, r, s, JS_SUBMITTED, t, nil)
      n = n + 1
    end
  end
end
flush()
return {n, #jobs, FINALS}
