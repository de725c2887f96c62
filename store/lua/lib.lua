-- lib.lua: helpers shared by the scripts; scripts.go prepends it to every
-- script that says so. Everything is local: Redis forbids globals in scripts.
--
-- Conventions:
--   ARGV[1] of every script is the channel tag "{<prefix>:<channel>}"; the
--   keys that depend on data (request, msg_id, park, event, void, usage,
--   tenant queue, CMPP entries) are built from it by the *key functions
--   below, with the key suffixes of keys.go (lua/schema.lua SFX_*), all in
--   the slot of KEYS[1]. The channel's fixed keys come in KEYS (see K_*).
--   Job state fields, state letters and request hash field names are the
--   constants of lua/schema.lua (J_*, JS_*, F_*), generated from
--   store/internal/schema; loadLua inlines their values.
--   Times are milliseconds since the epoch, passed by Go as strings; TTLs
--   are whole seconds.
--   Scripts that change job states call flush() before returning: await
--   ZSET changes, new events and request counters are applied once per
--   call (per request), not once per job.
--   Request hash reads and writes of such scripts go through the
--   per-call cache of meta()/fget()/hset(): the first read of a request
--   is one HMGET of its meta, its counters and the fields the caller
--   needs; writes (job states, rollups, counters) are buffered and
--   flush() applies them with one HSET per request (plus EXPIRE when the
--   request became final). A script is atomic, so the counters are
--   written as absolute values (read + delta). A script that reads a
--   request field it or lib may have written in the same call must read
--   it with fget(), never with redis.call.
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
-- recipient r (only when S > 1), "rs:<r>" "<status>|<error>" once
-- recipient r is final, "rfin" final recipients, "n_delivered" /
-- "n_failed" / "n_unknown" / "n_cancelled" final recipients by status,
-- "fin" time the request became final, "cx" time of CancelRequest,
-- "rc:<r>:<s>" expired leases of job r:s recovered (recover.lua).
--
-- Fair queue meta (create.lua): "w" weight (1..100), "pr" priority (h, n,
-- l), "tz" UTC offset of the tenant in seconds (each absent when its
-- default: 1, n, 0; so are "cb", "ref", "ext" when empty and "udhi:<s>"
-- when 0, see store.createMeta); "mv" is set while the
-- request moves to another channel (move_out.lua): its jobs here are dead.
--
-- CMPP meta (create.lua, only for a request submitted over a customer's
-- CMPP link): "cm" the origin (Go-encoded: account, Msg_Id, Src_Id,
-- Service_Id, report flag; see store.encodeOrigin), "cq" the account,
-- only when the customer asked for reports (Registered_Delivery 1): a
-- recipient that becomes final then queues one report entry for it
-- (cmpp_report). "pt"/"pn" the customer's Pk_total/Pk_number, "vt"/"at"
-- ValId_Time/At_Time, each only when set (returned by lease.lua).
--
-- Usage counters: scripts that make jobs final (or submitted) count them
-- in USE and flush() applies one HINCRBY per key and field; scripts that
-- call flush set USE_TTL (seconds, Options.UsageRetention).
local TAG = ARGV[1]
local NOW = ''         -- set by the script
local RETENTION = 0    -- seconds, set by scripts that may finalise requests
local NONCE = ''       -- event id prefix, set by scripts that create events
local EVN = 0          -- events created by this call
local FINALS = {}      -- request ids that became final in this call
local META = {}        -- request id -> meta table (or false), per call;
                       -- m.h caches fields (false: absent), m.pw lists
                       -- the buffered writes, m.c the stored counters
local TOUCHED = {}     -- request ids with buffered writes, in order
local AWAIT_ADD = {}   -- ZADD await: score, job, ...
local AWAIT_DEL = {}   -- ZREM await: job, ...
local EVQ = {}         -- RPUSH ev:ready: new event records
local USE_TTL = 0      -- seconds, set by scripts that count usage
local USE = {}         -- usage key -> {field -> increment}
local USE_KEYS = {}    -- usage keys, in order
local QPUSH = {}       -- tenant queue key -> jobs to push (queue_job)
local QKEYS = {}       -- tenant queue keys, in order
local QACT = {}        -- tenants to activate, in order
local QSEEN = {}       -- tenant -> true once in QACT
local WAKE = {}        -- CMPP accounts with new report entries, in order
local WAKESEEN = {}    -- account -> true once in WAKE
-- The channel's fixed keys that lib functions write, set by each script
-- from its KEYS (Go passes Keys.Await, EventQueue, Active, VClock): flush
-- needs K_AWAIT when jobs entered or left the await ZSET and K_EVQ when
-- events were made; push_queued needs K_TQ and K_VC.
local K_AWAIT, K_EVQ, K_TQ, K_VC = false, false, false, false

-- key returns k, a fixed key the script set, or raises an error naming
-- what when the script did not pass it.
local function key(k, what)
  if not k then error('script did not pass the ' .. what .. ' key in KEYS') end
  return k
end

-- Keys that depend on data, built from TAG and the key suffixes of
-- keys.go (see Keys: Request, MsgID, Park, Event, Void, Usage,
-- TenantQueue, CMPPQueue, CMPPEntries); the scripts build no others.
local function reqkey(id) return TAG .. SFX_REQUEST .. id end
local function midkey(mid) return TAG .. SFX_MSG_ID .. mid end
local function parkkey(mid) return TAG .. SFX_PARK .. mid end
local function evkey(eid) return TAG .. SFX_EVENT .. eid end
local function voidkey(id) return TAG .. SFX_VOID .. id end
local function usekey(tenant, day) return TAG .. SFX_USAGE .. tenant .. ':' .. day end
local function cmppqkey(account) return TAG .. SFX_CMPPQ .. account end
local function cmppdkey(account) return TAG .. SFX_CMPPD .. account end

-- split_job returns id, r, s (strings) or nil.
local function split_job(job)
  return string.match(job, '^(.+):(%d+):(%d+)$')
end

-- JPAT matches the J_N fields of a job state.
local JPAT = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$'

-- jdecode splits a job state into its J_N fields (one string.match: about
-- twice as fast as a gmatch loop); a missing state is a fresh queued job.
local function jdecode(v)
  if not v then
    return {JS_QUEUED, '0', '', '', '', '', '', '', '', ''}
  end
  local t = {string.match(v, JPAT)}
  if #t == J_N then return t end
  t = {}
  local i = 1
  for f in string.gmatch(v .. '|', '([^|]*)|') do
    if i <= J_N then t[i] = f end
    i = i + 1
  end
  for k = i, J_N do t[k] = '' end
  return t
end

local function jencode(t) return table.concat(t, '|', 1, J_N) end

local function presubmit(st) return st == JS_QUEUED or st == JS_SCHEDULED or st == JS_LEASED end

-- awaits reports whether job state t still waits for the report of Msg_Id
-- mid: submitted with that Msg_Id. It is what makes a mapping mid → job
-- live (reports match it, CMPP_CANCEL applies to it, a later SUBMIT_RESP
-- with mid collides with it).
local function awaits(t, mid) return t[J_STATE] == JS_SUBMITTED and t[J_MSGID] == mid end
local function isfinal(st) return st == JS_DELIVERED or st == JS_FAILED or st == JS_UNKNOWN or st == JS_CANCELLED end

-- META_F are the fields meta() reads: the meta (19), then the counters
-- that flush() writes (rfin is both), then "ph" (set in a part: its
-- recipient indexes are local, "ri" maps them to the public ones).
local META_F = {F_R, F_S, F_CB, F_TENANT, F_REF, F_CX, F_ST, F_FMT, F_EXT, F_RFIN,
                F_W, F_PR, F_TZ, F_MV, F_CQ, F_PT, F_PN, F_VT, F_AT,
                F_NSUB, F_N_DELIVERED, F_N_FAILED, F_N_UNKNOWN, F_N_CANCELLED, F_PH}
local NMETA = #META_F
local COUNTERS = {F_NSUB, F_RFIN, F_N_DELIVERED, F_N_FAILED, F_N_UNKNOWN, F_N_CANCELLED}

-- fget returns the values (false when absent) of fields names of request
-- id, whose meta is m: cached ones (including buffered writes) from the
-- cache, the others with one HMGET.
local function fget(id, m, names)
  local h, n, miss = m.h, #names, nil
  for i = 1, n do
    if h[names[i]] == nil then
      if not miss then miss = {} end
      miss[#miss + 1] = names[i]
    end
  end
  if miss then
    local v = redis.call('HMGET', reqkey(id), unpack(miss))
    for i = 1, #miss do h[miss[i]] = v[i] end
  end
  local out = {}
  for i = 1, n do out[i] = h[names[i]] end
  return out
end

-- fget1 is fget of one field: its value or false.
local function fget1(id, m, f)
  local v = m.h[f]
  if v == nil then
    v = redis.call('HGET', reqkey(id), f)
    m.h[f] = v
  end
  return v
end

-- meta returns the cached meta of request id, or false when the request
-- hash does not exist. With names (a list of field names), it also
-- returns their values as fget does; when the meta is not cached yet they
-- are read with it in one HMGET.
local function meta(id, names)
  local m = META[id]
  if m == nil then
    local args = {unpack(META_F)}
    if names then
      for i, f in ipairs(names) do args[NMETA + i] = f end
    end
    local v = redis.call('HMGET', reqkey(id), unpack(args))
    if not v[1] then
      m = false
    else
      m = {R = tonumber(v[1]), S = tonumber(v[2]), cb = v[3] or '', tenant = v[4] or '',
           ref = v[5] or '', cx = v[6], st = v[7], fmt = v[8] or '0', ext = v[9] or '',
           rfin = tonumber(v[10]) or 0, w = tonumber(v[11]) or 1, pr = v[12] or 'n',
           tz = tonumber(v[13]) or 0, mv = v[14], cq = v[15], pt = v[16], pn = v[17],
           vt = v[18] or '', at = v[19] or '', d = nil,
           c = {nsub = tonumber(v[20]) or 0, rfin = tonumber(v[10]) or 0, n_delivered = tonumber(v[21]) or 0,
                n_failed = tonumber(v[22]) or 0, n_unknown = tonumber(v[23]) or 0,
                n_cancelled = tonumber(v[24]) or 0},
           ph = v[25],
           h = {}, pw = {}, pws = {}, tch = false}
      if m.w < 1 then m.w = 1 end
      if names then
        for i, f in ipairs(names) do m.h[f] = v[NMETA + i] end
      end
    end
    META[id] = m
  end
  if names then
    if not m then return false, {} end
    return m, fget(id, m, names)
  end
  return m
end

-- touch registers request id for flush.
local function touch(id, m)
  if not m.tch then
    m.tch = true
    TOUCHED[#TOUCHED + 1] = id
  end
end

-- hset buffers field f = v (a string) of request id for flush and caches it.
local function hset(id, m, f, v)
  m.h[f] = v
  if not m.pws[f] then
    m.pws[f] = true
    m.pw[#m.pw + 1] = f
  end
  touch(id, m)
end

-- jfield is the request hash field of job r:s.
local function jfield(r, s) return F_JOB .. r .. ':' .. s end

-- delta returns the pending counter increments of request m, registering
-- id for flush.
local function delta(id, m)
  if not m.d then
    m.d = {nsub = 0, rfin = 0, n_delivered = 0, n_failed = 0, n_unknown = 0, n_cancelled = 0}
    touch(id, m)
  end
  return m.d
end

-- Event records (decoded by store/eventrec.go): "~", then per field its
-- name (letters a-z), the byte length of its value in decimal, ":" and the
-- value (any bytes). A new event has no key: its record waits in the ready
-- list {T}:ev:ready until ev_lease.lua writes it to {T}:ev:<eid>.

-- new_event makes an event record (id, creation time, then fields, a flat
-- name/value list; no "att": 0 until leased); flush queues it. Returns the
-- event id.
local function new_event(fields)
  EVN = EVN + 1
  local eid = NONCE .. '-' .. EVN
  local p = {'~id', #eid, ':', eid, 'at', #NOW, ':', NOW}
  for i = 1, #fields, 2 do
    local v = tostring(fields[i + 1])
    p[#p + 1] = fields[i]
    p[#p + 1] = #v
    p[#p + 1] = ':'
    p[#p + 1] = v
  end
  EVQ[#EVQ + 1] = table.concat(p)
  return eid
end

-- ev_decode splits an event record into its field names, in order, and a
-- name -> value table; nil when s is not a record.
local function ev_decode(s)
  if string.byte(s, 1) ~= 126 then return nil end
  local names, vals, pos, n = {}, {}, 2, #s
  while pos <= n do
    local name, len, p = string.match(s, '^([a-z]+)(%d+):()', pos)
    if not name then return nil end
    len = tonumber(len)
    if p + len - 1 > n then return nil end
    names[#names + 1] = name
    vals[name] = string.sub(s, p, p + len - 1)
    pos = p + len
  end
  return names, vals
end

-- ev_encode makes the record of names/vals (a name whose value is nil is
-- left out).
local function ev_encode(names, vals)
  local p = {'~'}
  for _, name in ipairs(names) do
    local v = vals[name]
    if v then
      p[#p + 1] = name
      p[#p + 1] = #v
      p[#p + 1] = ':'
      p[#p + 1] = v
    end
  end
  return table.concat(p)
end

-- ev_set sets field name of a decoded record to v (a string).
local function ev_set(names, vals, name, v)
  if vals[name] == nil then names[#names + 1] = name end
  vals[name] = v
end

-- ev_load reads the event at key: names and vals (see ev_decode), or nil
-- when it does not exist. An event hash of the previous version is read
-- with HGETALL (the caller's SET then turns it into a record).
local function ev_load(key)
  local v = redis.pcall('GET', key)
  if type(v) == 'table' and v.err then
    local h = redis.call('HGETALL', key)
    if #h == 0 then return nil end
    local names, vals = {}, {}
    for i = 1, #h, 2 do
      if string.match(h[i], '^[a-z]+$') then ev_set(names, vals, h[i], h[i + 1]) end
    end
    return names, vals
  end
  if not v then return nil end
  return ev_decode(v)
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

-- write_back applies the buffered field writes of request id now and
-- empties its field cache (counters stay for flush): for scripts that walk
-- a large request, so that the cache and the final HSET stay small.
local function write_back(id, m)
  local args, pw, h = {}, m.pw, m.h
  for i = 1, #pw do
    args[2 * i - 1] = pw[i]
    args[2 * i] = h[pw[i]]
  end
  push_chunks('HSET', reqkey(id), args)
  m.pw, m.pws, m.h = {}, {}, {}
end

-- use_day is the day number (days since 1970-01-01) of NOW in the zone tz
-- seconds east of UTC (store.Day in Go).
local function use_day(tz)
  return math.floor((math.floor(tonumber(NOW) / 1000) + tz) / 86400)
end

-- use_add counts n in usage field f (a, s, d, f, u, c) of request m's
-- tenant for today.
local function use_add(m, f, n)
  if m.tenant == '' then return end
  local k = usekey(m.tenant, use_day(m.tz))
  local u = USE[k]
  if not u then
    u = {}
    USE[k] = u
    USE_KEYS[#USE_KEYS + 1] = k
  end
  u[f] = (u[f] or 0) + n
end

-- use_flush applies the usage counts: one HINCRBY per key and field, and
-- the key's TTL when a field was just created (its count equals the
-- increment: counts only grow), which the key's first write always is; so
-- EXPIRE runs at most once per field and day, not once per call.
local function use_flush()
  for _, k in ipairs(USE_KEYS) do
    local u = USE[k]
    local created = false
    for _, f in ipairs({U_ACCEPTED, JS_SUBMITTED, JS_DELIVERED, JS_FAILED, JS_UNKNOWN, JS_CANCELLED}) do
      if u[f] and redis.call('HINCRBY', k, f, u[f]) == u[f] then created = true end
    end
    if created and USE_TTL > 0 then redis.call('EXPIRE', k, USE_TTL, 'NX') end
  end
  USE, USE_KEYS = {}, {}
end

-- tenant_of is the queue name of m's tenant ("_" for a request stored
-- without one, which CreateRequest no longer accepts).
local function tenant_of(m)
  if m.tenant == '' then return '_' end
  return m.tenant
end

-- qkey is the queue of tenant at priority p (h, n, l): Keys.TenantQueue.
local function qkey(tenant, p) return TAG .. SFX_TENANT_Q .. tenant .. ':' .. p end

-- queue_job records job of request m for push_queued.
local function queue_job(m, job)
  local tenant = tenant_of(m)
  local k = qkey(tenant, m.pr)
  local l = QPUSH[k]
  if not l then
    l = {}
    QPUSH[k] = l
    QKEYS[#QKEYS + 1] = k
  end
  l[#l + 1] = job
  if not QSEEN[tenant] then
    QSEEN[tenant] = true
    QACT[#QACT + 1] = tenant
  end
end

-- push_queued pushes the jobs recorded by queue_job to their tenant
-- queues, in order: at the head when head is true (they go before the
-- jobs already queued), else at the tail. A tenant that was not active
-- joins the fair queue at the virtual clock (ZADD NX: an active tenant
-- keeps its virtual time).
local function push_queued(head)
  for _, k in ipairs(QKEYS) do
    local l = QPUSH[k]
    if head then
      local rev = {}
      for i = #l, 1, -1 do rev[#rev + 1] = l[i] end
      push_chunks('LPUSH', k, rev)
    else
      push_chunks('RPUSH', k, l)
    end
  end
  if #QACT > 0 then
    local vc = redis.call('GET', key(K_VC, 'virtual clock')) or '0'
    local args = {}
    for _, tenant in ipairs(QACT) do
      args[#args + 1] = vc
      args[#args + 1] = tenant
    end
    redis.call('ZADD', key(K_TQ, 'active tenants'), 'NX', unpack(args))
  end
  QPUSH, QKEYS, QACT, QSEEN = {}, {}, {}, {}
end

-- status_of maps a final job state to a recipient status and error code.
local function status_of(t)
  if t[J_STATE] == JS_FAILED then return 'failed', t[J_ERR] end
  if t[J_STATE] == JS_UNKNOWN then return 'unknown', t[J_ERR] end
  if t[J_STATE] == JS_CANCELLED then return 'cancelled', 'cancelled' end
  return 'delivered', ''
end

-- cmpp_wake records account for the wake-up PUBLISH of flush.
local function cmpp_wake(account)
  if not WAKESEEN[account] then
    WAKESEEN[account] = true
    WAKE[#WAKE + 1] = account
  end
end

-- public_index is the public (request) index of local recipient r of
-- request m: r itself, or from "ri" in a part (store/parts.go).
local function public_index(id, m, r)
  if not m.ph then return r end
  if not m.rix then
    m.rix = {}
    for x in string.gmatch(fget1(id, m, F_RI) or '', '[^,]+') do m.rix[#m.rix + 1] = x end
  end
  return m.rix[tonumber(r)] or r
end

-- cmpp_report queues the report entry of recipient r of request id for
-- the CMPP account m.cq: entry id "<id>:<r>" in the account's ready ZSET
-- (scored by NOW) and its payload in the entries hash (Keys.CMPPQueue,
-- CMPPEntries). HSETNX: a recipient has one entry, whatever path made it
-- final. Payload, "|"-separated (decoded by store.decodeCMPPEntry):
--   R | enqueued (ms) | state letter | error code | report stat |
--   submitted_at (ms) | report Done_time text | reported_at (ms) |
--   recipient | r | origin ("cm", last: it may hold any byte)
-- The times and stat are those of segment 1 (a CMPP request has one).
local CODE = {delivered = JS_DELIVERED, failed = JS_FAILED, unknown = JS_UNKNOWN, cancelled = JS_CANCELLED}
local function cmpp_report(id, m, r, status, err, to, segs)
  if not m.cm then m.cm = fget1(id, m, F_CM) or '' end
  if not to then to = fget1(id, m, F_TO .. r) or '' end
  local t = jdecode(segs)
  r = public_index(id, m, r) -- the customer's Msg_Id of recipient r derives from it
  local eid = id .. ':' .. r
  local e = {}
  e[CR_KIND], e[CR_ENQ], e[CR_STATE], e[CR_ERR] = CE_REPORT, NOW, CODE[status], err
  e[CR_STAT], e[CR_SUBAT], e[CR_DONE], e[CR_REPAT] = t[J_STAT], t[J_SUBAT], t[J_DONE], t[J_REPAT]
  e[CR_TO], e[CR_R], e[CR_ORIGIN] = to, r, m.cm
  local p = table.concat(e, '|', 1, CR_N)
  if redis.call('HSETNX', cmppdkey(m.cq), eid, p) == 1 then
    redis.call('ZADD', cmppqkey(m.cq), NOW, eid)
    cmpp_wake(m.cq)
  end
end

-- recipient_done counts recipient r of request id as final with status and
-- err (its "rs:<r>" field is written by the caller) and creates its
-- sms.status event when the request has a callback URL. to is the
-- recipient number or nil (then read). segs is the recipient's final job
-- states, segment 1 first, joined with "|" (10 fields per segment): the
-- event's "segs" field, so that the webhook renders it without reading
-- the request. Returns the event id or nil.
local function recipient_done(id, m, r, status, err, to, segs)
  local d = delta(id, m)
  d[F_N .. status] = d[F_N .. status] + 1
  d.rfin = d.rfin + 1
  if m.cq then cmpp_report(id, m, r, status, err, to, segs) end
  if m.cb == '' then return nil end
  if not to then to = fget1(id, m, F_TO .. r) or '' end
  return new_event({'type', 'sms.status', 'req', id, 'r', public_index(id, m, r), 'to', to, 'status', status,
                    'err', err, 'cb', m.cb, 'tenant', m.tenant, 'ref', m.ref, 'segs', segs})
end

-- set_job stores job state t (whose previous state was old), counts it and,
-- when the job became final, rolls its recipient up. A recipient is final
-- when all its segments are: delivered if all delivered; failed if any
-- failed (error of the lowest-numbered failed segment); unknown if any
-- unknown and none failed; cancelled otherwise. to is the recipient number
-- when the caller has it. Returns the event id created, or nil.
local function set_job(id, m, r, s, old, t, to)
  local f = jfield(r, s)
  if presubmit(old) and not presubmit(t[J_STATE]) then
    local d = delta(id, m)
    d.nsub = d.nsub + 1
  end
  local enc = jencode(t)
  hset(id, m, f, enc)
  if isfinal(old) or not isfinal(t[J_STATE]) then return nil end
  use_add(m, t[J_STATE], 1)
  if m.S == 1 then
    local status, err = status_of(t)
    hset(id, m, F_RS .. r, status .. '|' .. err)
    return recipient_done(id, m, r, status, err, to, enc)
  end
  local rf = F_RF .. r
  local nf = (tonumber(fget1(id, m, rf)) or 0) + 1
  hset(id, m, rf, tostring(nf))
  if nf < m.S then return nil end
  local fields = {}
  for k = 1, m.S do fields[k] = jfield(r, k) end
  local vals = fget(id, m, fields)
  local rank = {delivered = 0, cancelled = 1, unknown = 2, failed = 3}
  local status, err = 'delivered', ''
  for k = 1, m.S do
    local st, e = status_of(jdecode(vals[k]))
    if rank[st] > rank[status] then status, err = st, e end
    if not vals[k] then vals[k] = JS_QUEUED .. '|0||||||||' end
  end
  hset(id, m, F_RS .. r, status .. '|' .. err)
  return recipient_done(id, m, r, status, err, to, table.concat(vals, '|'))
end

-- apply_report applies a status report to job t, which is (now) submitted
-- and whose stored state is old. Returns 'i' (interim ACCEPTD) or 'm' (job
-- now final) and the event id or nil.
local function apply_report(id, m, r, s, job, t, old, stat, done, at, to)
  t[J_STAT] = stat
  t[J_REPAT] = at
  t[J_DONE] = done
  if stat == 'ACCEPTD' then
    set_job(id, m, r, s, old, t, to)
    return 'i', nil
  end
  if stat == 'DELIVRD' then
    t[J_STATE] = JS_DELIVERED
    t[J_ERR] = ''
  else
    t[J_STATE] = JS_FAILED
    t[J_ERR] = stat
  end
  AWAIT_DEL[#AWAIT_DEL + 1] = job
  return 'm', set_job(id, m, r, s, old, t, to)
end

-- flush applies the batched effects of the call: await additions, then
-- removals, queued events, per request one HSET of its buffered fields,
-- counters and "fin" (when it became final, recorded in FINALS, then its
-- TTL), the usage counts, and one PUBLISH
-- per CMPP account with new report entries on the wake channel
-- "<prefix>:cmpp:wake" (Keys.CMPPWake; the prefix is in TAG).
local function flush()
  use_flush()
  if #WAKE > 0 then
    local wake = string.match(TAG, '^{(.*):[^:]*}$') .. SFX_WAKE
    for _, a in ipairs(WAKE) do redis.call('PUBLISH', wake, a) end
    WAKE, WAKESEEN = {}, {}
  end
  if #AWAIT_ADD > 0 or #AWAIT_DEL > 0 then
    local await = key(K_AWAIT, 'await')
    push_chunks('ZADD', await, AWAIT_ADD)
    push_chunks('ZREM', await, AWAIT_DEL)
  end
  if #EVQ > 0 then push_chunks('RPUSH', key(K_EVQ, 'event queue'), EVQ) end
  EVQ = {}
  for _, id in ipairs(TOUCHED) do
    local m = META[id]
    local d = m.d
    local args, pw, h = {}, m.pw, m.h
    for i = 1, #pw do
      args[2 * i - 1] = pw[i]
      args[2 * i] = h[pw[i]]
    end
    local fin = false
    if d then
      for _, c in ipairs(COUNTERS) do
        if d[c] ~= 0 then
          m.c[c] = m.c[c] + d[c]
          args[#args + 1] = c
          args[#args + 1] = string.format('%d', m.c[c])
          d[c] = 0
        end
      end
      fin = m.rfin < m.R and m.c.rfin >= m.R
      m.rfin = m.c.rfin
    end
    if fin then
      args[#args + 1] = F_FIN
      args[#args + 1] = NOW
    end
    push_chunks('HSET', reqkey(id), args)
    if fin then
      redis.call('EXPIRE', reqkey(id), RETENTION)
      FINALS[#FINALS + 1] = id
    end
    m.pw, m.pws, m.tch = {}, {}, false
  end
  TOUCHED = {}
end

-- END lib.lua
