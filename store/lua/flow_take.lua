-- flow_take.lua: take up to n send tokens from the channel's shared limit.
-- KEYS[1] flow hash      {T}:flow
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] contracted rate per second (0 = none)
-- ARGV[4] n, tokens wanted   ARGV[5] TTL of the hash (ms)
-- The limit is min(contracted, adaptive rate in field "rate"), enforced by a
-- GCRA: field "tat" is the theoretical arrival time (ms); the burst is a
-- tenth of a second's worth of tokens, at least 1. Without any limit
-- nothing is written.
-- Returns {allowed (0..n), wait in ms before a token is due (when 0 were
-- allowed), adaptive rate ("" = not throttled)}.
local now = tonumber(ARGV[2])
local contracted = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local adaptive = redis.call('HGET', KEYS[1], 'rate')
local limit = contracted
if adaptive then
  local a = tonumber(adaptive)
  if limit <= 0 or a < limit then limit = a end
end
if limit <= 0 then return {n, 0, adaptive or ''} end
local interval = 1000 / limit
local burst = math.max(1, math.floor(limit / 10))
local tolerance = burst * interval
local tat = tonumber(redis.call('HGET', KEYS[1], 'tat') or '0')
-- Work with how far tat runs ahead of now, not with sums of timestamps:
-- near 1.8e12 a double keeps only about 4 decimals, and the lost part
-- would make a full burst count as a hair less than one token.
local ahead = tat - now
if ahead < 0 then ahead, tat = 0, now end
local allowed = math.floor((tolerance - ahead) / interval + 1e-6)
if allowed < 1 then
  return {0, math.max(1, math.ceil(ahead - tolerance + interval)), adaptive or ''}
end
if allowed > n then allowed = n end
redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', tat + allowed * interval))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {allowed, 0, adaptive or ''}
