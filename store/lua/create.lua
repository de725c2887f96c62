-- create.lua: store a new request and queue its R×S jobs, unless Redis runs
-- it too late or after the request id was voided. The jobs go to the tail
-- of the tenant's queue of the request's priority; the tenant joins the
-- fair queue at the virtual clock unless it is active (ZADD NX); R×S
-- segments are counted accepted ("a") in the tenant's usage of the day.
-- KEYS[1] request hash   {T}:req:<id>
-- KEYS[2] tenant queue   {T}:q:<tenant>:<priority>
-- KEYS[3] void marker    {T}:void:<id>
-- KEYS[4] active tenants {T}:tq
-- KEYS[5] virtual clock  {T}:vc
-- KEYS[6] transfers      {T}:xfer (used only by a request with parts)
-- ARGV[1] tag            ARGV[2] request id
-- ARGV[3] R              ARGV[4] S
-- ARGV[5] deadline: Unix ms on the caller's wall clock
-- ARGV[6] create token (random per CreateRequest call)
-- ARGV[7] now (ms, the store's clock: the usage day)
-- ARGV[8] usage TTL (s)  ARGV[9] tenant   ARGV[10] tenant's UTC offset (s)
-- ARGV[11] n = number of meta ARGVs (field, value pairs) that follow
-- ARGV[12 .. 11+n]                meta field/value pairs
-- next R ARGVs                    recipient numbers (to:1 .. to:R)
-- next S ARGVs                    segment bytes (seg:1 .. seg:S)
-- next S ARGVs                    TP_udhi flags "0"/"1" (udhi:1 .. udhi:S;
--                                 "0" is not written: lease.lua's default)
-- A request whose recipients are on several channels (store/parts.go)
-- passes, among its meta, the job states "m" (moved) of the recipients of
-- other channels and its transfer record ("px", "xt:", "xr:"): those jobs
-- are not queued nor counted here, and the id joins KEYS[6] so that the
-- recoverer finishes the transfers if the caller's forwarding does not.
-- Returns 1 when stored (now, or by an earlier run of the same call: a
-- client-side retry of the same command carries the same token), 0 when
-- another request has the id, -1 when the deadline has passed, -2 when the
-- id was voided (resolve.lua); in the last three cases nothing is written.
--
-- Why a deadline: a client whose call timed out cannot tell whether Redis
-- will still run the command it sent (a paused or overloaded server runs
-- buffered commands when it resumes). The deadline bounds that: after it,
-- the script does nothing, so a request id whose create timed out is
-- settled once the deadline has passed. The deadline is compared with the
-- Redis clock (TIME; Redis 7 replicates the script's effects, so reading
-- the clock is allowed). The caller's wall clock and Redis's may differ:
-- the store allows Options.ClockSkew between them before relying on the
-- deadline, and never relies on it alone for its own answer: after a
-- failed call it runs resolve.lua, whose void marker makes any later run
-- of this script a no-op whatever the clocks say.
if redis.call('EXISTS', KEYS[3]) == 1 then return -2 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], F_TOK) == ARGV[6] then return 1 end
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now > tonumber(ARGV[5]) then return -1 end
NOW = ARGV[7]
USE_TTL = tonumber(ARGV[8])
local id, R, S, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[11])
local fields = {F_TOK, ARGV[6]}
local held, pending = {}, false
for i = 12, 11 + n do
  fields[#fields + 1] = ARGV[i]
  if (i - 12) % 2 == 0 then
    if string.sub(ARGV[i], 1, #F_JOB) == F_JOB then
      held[ARGV[i]] = true
    elseif ARGV[i] == F_PX then
      pending = true
    end
  end
end
local base = 11 + n
for r = 1, R do
  fields[#fields + 1] = F_TO .. r
  fields[#fields + 1] = ARGV[base + r]
end
base = base + R
for s = 1, S do
  fields[#fields + 1] = F_SEG .. s
  fields[#fields + 1] = ARGV[base + s]
  if ARGV[base + S + s] ~= '0' then
    fields[#fields + 1] = F_UDHI .. s
    fields[#fields + 1] = ARGV[base + S + s]
  end
end
push_chunks('HSET', KEYS[1], fields)
local jobs = {}
for r = 1, R do
  local p = id .. ':' .. r .. ':'
  for s = 1, S do
    if not (pending and held[F_JOB .. r .. ':' .. s]) then jobs[#jobs + 1] = p .. s end
  end
end
if #jobs > 0 then
  push_chunks('RPUSH', KEYS[2], jobs)
  redis.call('ZADD', KEYS[4], 'NX', redis.call('GET', KEYS[5]) or '0', ARGV[9])
  use_add({tenant = ARGV[9], tz = tonumber(ARGV[10])}, U_ACCEPTED, #jobs)
end
if pending then redis.call('ZADD', KEYS[6], ARGV[7], id) end
use_flush()
return 1
