-- lib.lua: helpers shared by the scripts; scripts.go prepends it to every
-- script that says so. Everything is local: Redis forbids globals in scripts.
--
-- Conventions:
--   ARGV[1] of every script is the channel tag "{<prefix>:<channel>}"; the
--   script builds the request, msg_id, park and event keys from it (all in
--   the slot of KEYS[1]).
--   Times are milliseconds since the epoch, passed by Go as strings; TTLs
--   are whole seconds.
--
-- Per-job state, field "j:<r>:<s>" of the request hash, "|"-separated:
--   1 state (q queued, l leased, w scheduled, s submitted,
--            d delivered, f failed, u unknown, c cancelled)
--   2 attempts (number of leases)   3 msg_id     4 SUBMIT_RESP result
--   5 report stat                   6 submitted_at (ms)  7 reported_at (ms)
--   8 error code                    9 lease owner 10 report Done_time
-- A missing field means "q" with 0 attempts (CreateRequest writes none).
--
-- Request hash rollup fields (besides meta): "st" first lease time,
-- "nsub" jobs whose submit phase is over, "rf:<r>" final segments of
-- recipient r, "rs:<r>" "<status>|<error>" once recipient r is final,
-- "rfin" final recipients, "n_delivered" / "n_failed" / "n_unknown" /
-- "n_cancelled" final recipients by status, "fin" time the request became
-- final, "cx" time of CancelRequest.

local TAG = ARGV[1]
local NOW = ''         -- set by the script
local RETENTION = 0    -- seconds, set by scripts that may finalise requests
local NONCE = ''       -- event id prefix, set by scripts that create events
local EVN = 0          -- events created by this call
local FINALS = {}      -- request ids that became final in this call
local META = {}        -- request id -> meta table (or false), per call

local function reqkey(id) return TAG .. ':req:' .. id end

-- split_job returns id, r, s (strings) or nil.
local function split_job(job)
  return string.match(job, '^(.+):(%d+):(%d+)$')
end

local function jdecode(v)
  local t = {}
  if not v then
    t = {'q', '0', '', '', '', '', '', '', '', ''}
    return t
  end
  local i = 1
  for f in string.gmatch(v .. '|', '([^|]*)|') do
    t[i] = f
    i = i + 1
  end
  for k = i, 10 do t[k] = '' end
  return t
end

local function jencode(t) return table.concat(t, '|', 1, 10) end

local function presubmit(st) return st == 'q' or st == 'w' or st == 'l' end
local function isfinal(st) return st == 'd' or st == 'f' or st == 'u' or st == 'c' end

-- meta returns the cached meta of request id, or false when the request
-- hash does not exist.
local function meta(id)
  local m = META[id]
  if m == nil then
    local v = redis.call('HMGET', reqkey(id), 'R', 'S', 'cb', 'tenant', 'ref', 'cx', 'st', 'fmt', 'ext')
    if not v[1] then
      m = false
    else
      m = {R = tonumber(v[1]), S = tonumber(v[2]), cb = v[3] or '', tenant = v[4] or '',
           ref = v[5] or '', cx = v[6], st = v[7], fmt = v[8] or '0', ext = v[9] or ''}
    end
    META[id] = m
  end
  return m
end

-- new_event stores an event hash and queues it. fields is a flat list.
local function new_event(fields)
  EVN = EVN + 1
  local eid = NONCE .. '-' .. EVN
  local key = TAG .. ':ev:' .. eid
  redis.call('HSET', key, 'id', eid, 'at', NOW, 'att', '0', unpack(fields))
  redis.call('RPUSH', TAG .. ':ev:q', eid)
  return eid
end

-- recipient_final is called when a segment of recipient r has just become
-- final. When every segment is final it rolls the recipient up, counts it,
-- creates its sms.status event (when the request has a callback URL) and,
-- when every recipient is final, sets the request's TTL. Returns the event
-- id or nil.
local function recipient_final(id, m, r)
  local req = reqkey(id)
  local n = redis.call('HINCRBY', req, 'rf:' .. r, 1)
  if n < m.S then return nil end
  local fields = {}
  for s = 1, m.S do fields[s] = 'j:' .. r .. ':' .. s end
  local vals = redis.call('HMGET', req, unpack(fields))
  local nf, nu, nc = 0, 0, 0
  local ferr, uerr = nil, nil
  for s = 1, m.S do
    local t = jdecode(vals[s])
    if t[1] == 'f' then
      nf = nf + 1
      if not ferr then ferr = t[8] end
    elseif t[1] == 'u' then
      nu = nu + 1
      if not uerr then uerr = t[8] end
    elseif t[1] == 'c' then
      nc = nc + 1
    end
  end
  local status, err = 'delivered', ''
  if nf > 0 then status, err = 'failed', ferr
  elseif nu > 0 then status, err = 'unknown', uerr
  elseif nc > 0 then status, err = 'cancelled', 'cancelled' end
  redis.call('HSET', req, 'rs:' .. r, status .. '|' .. err)
  redis.call('HINCRBY', req, 'n_' .. status, 1)
  local fin = redis.call('HINCRBY', req, 'rfin', 1)
  local eid = nil
  if m.cb ~= '' then
    local to = redis.call('HGET', req, 'to:' .. r) or ''
    eid = new_event({'type', 'sms.status', 'req', id, 'r', r, 'to', to, 'status', status,
                     'err', err, 'cb', m.cb, 'tenant', m.tenant, 'ref', m.ref})
  end
  if fin >= m.R then
    redis.call('HSET', req, 'fin', NOW)
    redis.call('EXPIRE', req, RETENTION)
    FINALS[#FINALS + 1] = id
  end
  return eid
end

-- set_job stores job state t (whose previous state was old), keeps the
-- counters and rolls the recipient up when the job became final. Returns
-- the event id created, or nil.
local function set_job(id, m, r, s, old, t)
  local req = reqkey(id)
  redis.call('HSET', req, 'j:' .. r .. ':' .. s, jencode(t))
  if presubmit(old) and not presubmit(t[1]) then
    redis.call('HINCRBY', req, 'nsub', 1)
  end
  if not isfinal(old) and isfinal(t[1]) then
    return recipient_final(id, m, r)
  end
  return nil
end

-- apply_report applies a status report to submitted job t. Returns
-- 'i' (interim ACCEPTD) or 'm' (job now final) and the event id or nil.
local function apply_report(id, m, r, s, job, t, stat, done, at)
  local old = t[1]
  t[5] = stat
  t[7] = at
  t[10] = done
  if stat == 'ACCEPTD' then
    redis.call('HSET', reqkey(id), 'j:' .. r .. ':' .. s, jencode(t))
    return 'i', nil
  end
  if stat == 'DELIVRD' then
    t[1] = 'd'
    t[8] = ''
  else
    t[1] = 'f'
    t[8] = stat
  end
  redis.call('ZREM', TAG .. ':await', job)
  return 'm', set_job(id, m, r, s, old, t)
end

-- push_chunks runs cmd key v1 v2 ... in chunks of at most 1000 values
-- (Lua's unpack is limited to a few thousand values).
local function push_chunks(cmd, key, vals)
  local n = #vals
  local i = 1
  while i <= n do
    local j = math.min(i + 999, n)
    redis.call(cmd, key, unpack(vals, i, j))
    i = j + 1
  end
end

-- END lib.lua
