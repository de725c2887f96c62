-- flow_ok.lua: a SUBMIT was accepted while the channel is throttled: the
-- storm is over, and the adaptive rate grows back.
-- KEYS[1] flow hash      {T}:flow
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] contracted rate per second (0 = none)
-- ARGV[4] least rate per second   ARGV[5] least interval between two changes (ms)
-- ARGV[6] TTL of the hash (ms)
-- At most once per interval (and not within one of the last cut) the rate
-- doubles while below "peak" (the rate accepted before the storm), then
-- grows by a tenth of peak. Once it reaches the contracted rate (or, with
-- none, twice peak) the throttle is lifted: fields rate, peak, cut and
-- grow are removed.
-- Returns the adaptive rate ("" = not throttled).
local now = tonumber(ARGV[2])
local contracted = tonumber(ARGV[3])
local least = tonumber(ARGV[4])
local every = tonumber(ARGV[5])
redis.call('HDEL', KEYS[1], 'since')
local h = redis.call('HMGET', KEYS[1], 'rate', 'peak', 'cut', 'grow')
local rate = tonumber(h[1])
if not rate then return '' end
local last = math.max(tonumber(h[3] or '0'), tonumber(h[4] or '0'))
if now - last >= every then
  local peak = math.max(least, tonumber(h[2] or '0'))
  if rate < peak then
    rate = math.min(peak, rate * 2)
  else
    rate = rate + math.max(1, peak / 10)
  end
  local ceiling = 2 * peak
  if contracted > 0 then ceiling = contracted end
  if rate >= ceiling then
    redis.call('HDEL', KEYS[1], 'rate', 'peak', 'cut', 'grow')
    return ''
  end
  redis.call('HSET', KEYS[1], 'rate', string.format('%.3f', rate), 'grow', ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return string.format('%.3f', rate)
