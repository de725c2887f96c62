-- flow_cut.lua: the ISMG answered Result 8 (flow control): start or go on
-- with a storm and cut the channel's adaptive rate.
-- KEYS[1] flow hash      {T}:flow
-- ARGV[1] tag   ARGV[2] now (ms)
-- ARGV[3] submits accepted per second, measured by the caller over the last second
-- ARGV[4] contracted rate per second (0 = none)   ARGV[5] least rate per second
-- ARGV[6] least interval between two cuts (ms)   ARGV[7] TTL of the hash (ms)
-- Fields: "since" storm start (first Result 8 after a success), "rate"
-- adaptive rate (absent = not throttled), "peak" rate accepted before the
-- storm, "cut" time of the last cut.
-- The first Result 8 of a storm sets the rate to what the ISMG accepted
-- (never below the least rate nor above the contracted one); later ones,
-- at most one per interval, halve it, but not below what was still
-- accepted over the last second nor below the least rate.
-- Returns {storm start (ms), adaptive rate}.
local now = tonumber(ARGV[2])
local accepted = tonumber(ARGV[3])
local contracted = tonumber(ARGV[4])
local least = tonumber(ARGV[5])
local every = tonumber(ARGV[6])
local h = redis.call('HMGET', KEYS[1], 'since', 'rate', 'cut')
local since = h[1]
if not since then
  since = ARGV[2]
  redis.call('HSET', KEYS[1], 'since', since)
end
local rate = tonumber(h[2])
if not rate then
  rate = math.max(least, accepted)
  if contracted > 0 then rate = math.min(rate, contracted) end
  redis.call('HSET', KEYS[1], 'rate', string.format('%.3f', rate), 'peak', string.format('%.3f', rate),
    'cut', ARGV[2])
elseif now - tonumber(h[3] or '0') >= every then
  rate = math.min(rate, math.max(least, accepted, rate / 2))
  redis.call('HSET', KEYS[1], 'rate', string.format('%.3f', rate), 'cut', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return {tonumber(since), string.format('%.3f', rate)}
