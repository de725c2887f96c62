-- lease.lua: move due retries to their tenant queues, then pop and lease up
-- to max jobs: the legacy queue first, then the tenants by fair queueing.
-- KEYS[1] legacy queue   {T}:q
-- KEYS[2] sched zset     {T}:sched
-- KEYS[3] lease zset     {T}:lease
-- KEYS[4] active tenants {T}:tq     (tenant -> virtual time)
-- KEYS[5] virtual clock  {T}:vc
-- KEYS[6] pick counters  {T}:tk     (tenant -> picks)
-- KEYS[7] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] lease deadline (ms)
-- ARGV[4] max jobs                 ARGV[5] lease owner
-- ARGV[6] retention (s)            ARGV[7] event id nonce
-- ARGV[8] usage TTL (s)            ARGV[9] chunk: jobs per pick while
--                                  several tenants are active
--
-- Fair queueing: every active tenant (one of its queues not empty) is in
-- KEYS[4] scored by its virtual time. A pick takes the tenant with the
-- smallest virtual time (ties: by name), pops up to chunk jobs from one of
-- its priority queues (all that is wanted when it is the only active
-- tenant) and adds 1/weight per job popped to its virtual time; the
-- weight is the request's "w". The virtual clock is the virtual time at
-- which the last pick started; a tenant that becomes active joins at it
-- (push_queued), so it is served next and an old backlog earns no credit.
-- A tenant whose queues are empty leaves KEYS[4] (and its pick counter).
-- Priority within a tenant (pick counter k, see store.Priority): low first
-- when k is a multiple of 25, normal then low first when k is a multiple
-- of 5, otherwise high, normal, low.
--
-- Jobs of vanished requests and jobs no longer queued are dropped without
-- being returned. Queued jobs of a cancelled request (an in-flight job
-- whose lease expired or that was retried after CancelRequest) become
-- final 'cancelled'. Jobs of a request moving to another channel (due
-- retries included) go back to the tail of their tenant queue after the
-- picks, so they are not popped again in this call: a rerun of MoveQueued
-- finds the request through them. Every popped job costs its tenant
-- 1/weight of virtual time, leased or not, so a tenant whose queue holds
-- dead jobs (a cancelled large request) does not keep the picks.
-- Returns {jobs, finals}: jobs is a flat array, 11 values per job:
--   job, dest, content, udhi, msg_fmt, src_ext, Pk_total, attempts,
--   Pk_number, ValId_Time, At_Time
-- Pk_total/Pk_number are the request's "pt"/"pn" (a CMPP customer's own
-- split) when set, else S and the segment number.
-- and finals lists requests that became final.
K_TQ, K_VC, K_EVQ = KEYS[4], KEYS[5], KEYS[7]
NOW = ARGV[2]
RETENTION = tonumber(ARGV[6])
NONCE = ARGV[7]
USE_TTL = tonumber(ARGV[8])
local deadline, max, owner, chunk = ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[9])

local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', NOW, 'LIMIT', 0, 1000)
if #due > 0 then
  redis.call('ZREM', KEYS[2], unpack(due))
  for _, job in ipairs(due) do -- earliest due first, at the head of its queue
    local id = split_job(job)
    local m = id and meta(id)
    if m then queue_job(m, job) end
  end
  push_queued(true)
end

local out, zadd = {}, {}
local got, popped, budget = 0, 0, max * 8 + 1000

-- take leases the popped jobs that are still queued and records those of
-- moving requests for push_queued; it returns the virtual time the popped
-- jobs cost (1/weight each, 1 for a vanished request).
local function take(jobs)
  local cost = 0
  for _, job in ipairs(jobs) do
    local id, r, s = split_job(job)
    local m, v = false, nil
    if id then
      -- one HMGET: meta (first job of the request) + job, number, segment;
      -- only the job of a known dead (cancelled, moving) request
      local known = META[id]
      if known and (known.cx or known.mv) then
        m, v = meta(id, {jfield(r, s)})
      else
        m, v = meta(id, {jfield(r, s), F_TO .. r, F_SEG .. s, F_UDHI .. s})
      end
    end
    cost = cost + 1 / (m and m.w or 1)
    if m and m.mv then
      queue_job(m, job)
    elseif m and m.cx then
      local t = jdecode(v[1])
      if t[J_STATE] == JS_QUEUED or t[J_STATE] == JS_SCHEDULED then
        local old = t[J_STATE]
        t[J_STATE], t[J_ERR], t[J_OWNER] = JS_CANCELLED, 'cancelled', ''
        set_job(id, m, r, s, old, t, nil)
      end
    elseif m then
      local st = v[1] and string.sub(v[1], 1, 1) or JS_QUEUED
      if v[2] and (st == JS_QUEUED or st == JS_SCHEDULED) then
        local att, enc = '1', nil
        if v[1] then
          local t = jdecode(v[1])
          att = tostring((tonumber(t[J_ATT]) or 0) + 1)
          t[J_STATE], t[J_ATT], t[J_OWNER] = JS_LEASED, att, owner
          enc = jencode(t)
        else
          enc = 'l|1|||||||' .. owner .. '|' -- fresh job: jencode of {l,1,,,,,,,owner,}
        end
        hset(id, m, jfield(r, s), enc)
        if not m.st then
          hset(id, m, F_ST, NOW)
          m.st = NOW
        end
        zadd[#zadd + 1] = deadline
        zadd[#zadd + 1] = job
        local n = #out
        out[n + 1] = job
        out[n + 2] = v[2]
        out[n + 3] = v[3] or ''
        out[n + 4] = v[4] or '0'
        out[n + 5] = m.fmt
        out[n + 6] = m.ext
        out[n + 7] = m.pt or tostring(m.S)
        out[n + 8] = att
        out[n + 9] = m.pn or s
        out[n + 10] = m.vt
        out[n + 11] = m.at
        got = got + 1
      end
    end
  end
  return cost
end

-- The legacy queue (jobs queued before per-tenant queues) goes first.
while got < max and popped < budget do
  local want = max - got
  local jobs = redis.call('LPOP', KEYS[1], want)
  if not jobs then break end
  popped = popped + #jobs
  take(jobs)
  if #jobs < want then break end
end

local ORDER = {{'h', 'n', 'l'}, {'n', 'l', 'h'}, {'l', 'n', 'h'}}
local vc = nil
while got < max and popped < budget do
  local head = redis.call('ZRANGE', KEYS[4], 0, 1, 'WITHSCORES')
  if #head == 0 then break end
  local tenant, score = head[1], head[2]
  vc = score
  local want = max - got
  if #head > 2 and want > chunk then want = chunk end
  local k = redis.call('HINCRBY', KEYS[6], tenant, 1)
  local order = ORDER[1]
  if k % 25 == 0 then
    order = ORDER[3]
  elseif k % 5 == 0 then
    order = ORDER[2]
  end
  local jobs = nil
  for _, p in ipairs(order) do
    jobs = redis.call('LPOP', qkey(tenant, p), want)
    if jobs then break end
  end
  local n = jobs and #jobs or 0
  local cost = 0
  if n > 0 then
    popped = popped + n
    cost = take(jobs)
  end
  if n < want and redis.call('EXISTS', qkey(tenant, 'h'), qkey(tenant, 'n'), qkey(tenant, 'l')) == 0 then
    redis.call('ZREM', KEYS[4], tenant)
    redis.call('HDEL', KEYS[6], tenant)
  elseif cost > 0 then
    redis.call('ZADD', KEYS[4], 'XX', string.format('%.17g', tonumber(score) + cost), tenant)
  end
end
if vc then redis.call('SET', KEYS[5], vc) end
push_queued(false)
push_chunks('ZADD', KEYS[3], zadd)
flush()
return {out, FINALS}
