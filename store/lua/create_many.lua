-- create_many.lua: create.lua for several requests of one channel in one
-- call (CreateRequests' group commit): each request is stored and its
-- R×S jobs queued unless its id was voided, another request has it, or
-- its deadline has passed on the Redis clock, exactly as create.lua
-- decides for it alone (see there for why the deadline). The jobs go to
-- the tail of their tenant's queue of their priority in request order
-- (one RPUSH per queue), the tenants join the fair queue at the virtual
-- clock unless active (one ZADD NX), and the usage counts are applied
-- once per tenant and day.
-- KEYS[1] active tenants {T}:tq
-- KEYS[2] virtual clock  {T}:vc
-- ARGV[1] tag   ARGV[2] now (ms, the store's clock: the usage day)
-- ARGV[3] usage TTL (s)
-- then one block per request:
--   id, R, S, deadline (Unix ms, caller's wall clock), create token,
--   tenant, tenant's UTC offset (s), priority (h, n, l),
--   n = number of meta ARGVs, n meta field/value pairs, R recipient
--   numbers, S segment bytes, S TP_udhi flags "0"/"1" ("0" is not
--   written: lease.lua's default)
-- Returns one code per request, as create.lua's reply: 1 stored (now, or
-- by an earlier run with the same token), 0 another request has the id,
-- -1 deadline passed, -2 id voided.
K_TQ, K_VC = KEYS[1], KEYS[2]
NOW = ARGV[2]
USE_TTL = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local codes = {}
local i = 4
while i <= #ARGV do
  local id, R, S, dl, tok = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), ARGV[i + 4]
  local tenant, tz, pr, n = ARGV[i + 5], tonumber(ARGV[i + 6]), ARGV[i + 7], tonumber(ARGV[i + 8])
  local mb = i + 9                 -- first meta ARGV
  local rb = mb + n                -- first recipient
  local sb = rb + R                -- first segment
  local ub = sb + S                -- first udhi flag
  i = ub + S                       -- next block
  local req = reqkey(id)
  local code = 1
  if redis.call('EXISTS', voidkey(id)) == 1 then
    code = -2
  elseif redis.call('EXISTS', req) == 1 then
    if redis.call('HGET', req, F_TOK) ~= tok then code = 0 end
  elseif now > dl then
    code = -1
  else
    local fields = {F_TOK, tok}
    for k = mb, rb - 1 do fields[#fields + 1] = ARGV[k] end
    for r = 1, R do
      fields[#fields + 1] = F_TO .. r
      fields[#fields + 1] = ARGV[rb + r - 1]
    end
    for s = 1, S do
      fields[#fields + 1] = F_SEG .. s
      fields[#fields + 1] = ARGV[sb + s - 1]
      if ARGV[ub + s - 1] ~= '0' then
        fields[#fields + 1] = F_UDHI .. s
        fields[#fields + 1] = ARGV[ub + s - 1]
      end
    end
    push_chunks('HSET', req, fields)
    local m = {tenant = tenant, tz = tz, pr = pr}
    for r = 1, R do
      local p = id .. ':' .. r .. ':'
      for s = 1, S do queue_job(m, p .. s) end
    end
    use_add(m, U_ACCEPTED, R * S)
  end
  codes[#codes + 1] = code
end
push_queued(false)
use_flush()
return codes
