-- submitted.lua: record a batch of SUBMIT outcomes.
-- KEYS[1] lease zset     {T}:lease
-- KEYS[2] await zset     {T}:await
-- KEYS[3] park flag      {T}:parked (exists while a parked report may)
-- KEYS[4] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] report deadline (ms, now + ReportWait)
-- ARGV[4] mapping TTL (s)   ARGV[5] retention (s)   ARGV[6] event id nonce
-- ARGV[7] error code of a Msg_Id collision   ARGV[8] usage TTL (s)
-- ARGV[9..] 5 per outcome: job, kind, msg_id, result, error code
--   kind "ok":   SUBMIT_RESP Result 0 with msg_id: job submitted, msg_id
--                mapped (SET NX EX), report deadline set, and a parked
--                report for msg_id applied at once (looked up only while
--                KEYS[3] exists: one EXISTS per call, and no lookup per
--                job in the common case of no parked report). When
--                msg_id is already mapped to another job that still waits for a report for
--                it (a live mapping), the first mapping is kept and this
--                job becomes final unknown with the collision code at once
--                (no report can ever be matched to it). A mapping to the
--                job itself, or to a job no longer waiting for msg_id
--                (final, or its request gone), is replaced.
--   kind "fail": final failure (Result ≠ 0): job failed with error code
--   kind "unk":  no SUBMIT_RESP after all tries: job unknown with error code
-- Jobs already submitted or final, and jobs of vanished requests, are left
-- alone ("stale").
-- Returns {codes, finals, holders}: codes has 2 values per outcome, the
-- code ("ok", "okr" = ok and a parked report applied, "col" = Msg_Id
-- collision, "fail", "unk", "stale") and the event id created or "";
-- finals lists requests that became final; holders has one value per "col"
-- code, in order: the job that keeps the mapping.
K_AWAIT, K_EVQ = KEYS[2], KEYS[4]
NOW = ARGV[2]
RETENTION = tonumber(ARGV[5])
NONCE = ARGV[6]
USE_TTL = tonumber(ARGV[8])
local await_at, map_ttl, col_code = ARGV[3], ARGV[4], ARGV[7]
local codes = {}
local unlease = {}
local holders = {}

-- live_holder returns the job that msg_id mk is mapped to when it is
-- another job still waiting for a report for mid, else nil. Only called
-- when SET NX found a mapping, so the common path costs no extra command.
local function live_holder(mk, mid, job)
  local h = redis.call('GET', mk)
  if not h or h == job then return nil end
  local hid, hr, hs = split_job(h)
  if not hid then return nil end
  local hm, hv = meta(hid, {jfield(hr, hs)}) -- the cache: it may have changed in this call
  if hm and awaits(jdecode(hv[1]), mid) then return h end
  return nil
end

-- parked reports whether a parked report may exist (KEYS[3]), read once.
local parked = nil
local function any_parked()
  if parked == nil then parked = redis.call('EXISTS', KEYS[3]) == 1 end
  return parked
end

for i = 9, #ARGV, 5 do
  local job, kind, mid, res, err = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local code, eid = 'stale', nil
  local id, r, s = split_job(job)
  local m, v = false, nil
  if id then m, v = meta(id, {jfield(r, s)}) end
  if m then
    local t = jdecode(v[1])
    local old = t[J_STATE]
    if presubmit(old) then
      unlease[#unlease + 1] = job
      t[J_RESULT] = res
      t[J_SUBAT] = NOW
      t[J_OWNER] = ''
      local holder = nil
      if kind == 'ok' then
        use_add(m, JS_SUBMITTED, 1) -- Result 0: submitted (a collision too)
        local mk = midkey(mid)
        if not redis.call('SET', mk, job, 'NX', 'EX', map_ttl) then
          holder = live_holder(mk, mid, job)
          if not holder then redis.call('SET', mk, job, 'EX', map_ttl) end
        end
      end
      if holder then
        t[J_STATE] = JS_UNKNOWN
        t[J_MSGID] = mid
        t[J_ERR] = col_code
        eid = set_job(id, m, r, s, old, t, nil)
        code = 'col'
        holders[#holders + 1] = holder
      elseif kind == 'ok' then
        t[J_STATE] = JS_SUBMITTED
        t[J_MSGID] = mid
        t[J_ERR] = ''
        AWAIT_ADD[#AWAIT_ADD + 1] = await_at
        AWAIT_ADD[#AWAIT_ADD + 1] = job
        code = 'ok'
        local pk = parkkey(mid)
        local p = any_parked() and redis.call('GET', pk)
        if p then
          redis.call('DEL', pk)
          -- parked: stat|submit_time|done_time|dest|reported_at
          local pt = {}
          for f in string.gmatch(p .. '|', '([^|]*)|') do pt[#pt + 1] = f end
          local _
          _, eid = apply_report(id, m, r, s, job, t, old, pt[1], pt[3] or '', pt[5] or NOW, nil)
          code = 'okr'
        else
          set_job(id, m, r, s, old, t, nil)
        end
      elseif kind == 'fail' then
        t[J_STATE] = JS_FAILED
        t[J_ERR] = err
        eid = set_job(id, m, r, s, old, t, nil)
        code = 'fail'
      else
        t[J_STATE] = JS_UNKNOWN
        t[J_ERR] = err
        eid = set_job(id, m, r, s, old, t, nil)
        code = 'unk'
      end
    end
  end
  codes[#codes + 1] = code
  codes[#codes + 1] = eid or ''
end
push_chunks('ZREM', KEYS[1], unlease)
flush()
return {codes, FINALS, holders}
