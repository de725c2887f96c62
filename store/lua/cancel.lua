-- cancel.lua: cancel what is still cancellable in a request.
-- KEYS[1] request hash   {T}:req:<id>
-- KEYS[2] sched zset     {T}:sched
-- KEYS[3] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] retention (s)   ARGV[4] event id nonce
-- ARGV[5] request id     ARGV[6] usage TTL (s)
-- Queued and scheduled jobs become final 'cancelled' (queued ones stay in
-- the queue list and are dropped by lease.lua: the request is marked "cx").
-- Leased jobs are in flight and only counted; submitted jobs are returned
-- with their msg_id so the caller can send CMPP_CANCEL.
-- Returns false when the request does not exist, {"mv", target channel}
-- when it is moving to another channel (MoveQueued; nothing done), else
-- {cancelled, in_flight, {job, msg_id, ...}, finals}.
K_EVQ = KEYS[3]
NOW = ARGV[2]
RETENTION = tonumber(ARGV[3])
NONCE = ARGV[4]
USE_TTL = tonumber(ARGV[6])
local id = ARGV[5]
local m = meta(id)
if not m then return false end
if m.mv then return {'mv', m.mv} end -- moving: cancel the target's copy
if not m.cx and m.rfin < m.R then hset(id, m, F_CX, NOW) end
local cancelled, inflight, submitted = 0, 0, {}
for r = 1, m.R do
  local fields = {}
  for s = 1, m.S do fields[s] = jfield(r, s) end
  local vals = fget(id, m, fields)
  for s = 1, m.S do
    local t = jdecode(vals[s])
    local st = t[J_STATE]
    local job = id .. ':' .. r .. ':' .. s
    if st == JS_QUEUED or st == JS_SCHEDULED then
      if st == JS_SCHEDULED then redis.call('ZREM', KEYS[2], job) end
      t[J_STATE] = JS_CANCELLED
      t[J_ERR] = 'cancelled'
      set_job(id, m, r, s, st, t, nil)
      cancelled = cancelled + 1
    elseif st == JS_LEASED then
      inflight = inflight + 1
    elseif st == JS_SUBMITTED then
      submitted[#submitted + 1] = job
      submitted[#submitted + 1] = t[J_MSGID]
    end
  end
  if r % 256 == 0 then write_back(id, m) end -- bounded cache on a large request
end
flush()
return {cancelled, inflight, submitted, FINALS}
