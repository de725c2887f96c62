-- rate_take.lua: one request against a tenant's request rate (GCRA).
-- KEYS[1] rate state     <prefix>:rate:{<tenant>}
-- ARGV[1] now (ms)   ARGV[2] rate: requests per second (> 0)
-- The state is the theoretical arrival time (ms). The burst is one
-- second's worth of requests: after a quiet second, rate requests pass at
-- once, then one every 1/rate s. The key expires when the bucket is full
-- again.
-- ARGV[3] (optional) n: take up to n at once (a batch of CMPP SUBMITs).
-- Returns 0 when allowed, else the wait in ms before a request would be.
-- With ARGV[3]: {taken, wait}: as many as fit now (0..n), and when none
-- fit the wait in ms before one would.
local now, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local interval = 1000 / rate
local tolerance = 1000 -- rate × interval: one second's worth
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
-- How far tat runs ahead of now (not sums of timestamps: see flow_take.lua).
local ahead = tat - now
if ahead < 0 then ahead, tat = 0, now end
if ARGV[3] then
  local fit = math.floor((tolerance + 1e-6 - ahead) / interval)
  if fit > tonumber(ARGV[3]) then fit = tonumber(ARGV[3]) end
  if fit < 1 then return {0, math.max(1, math.ceil(ahead + interval - tolerance))} end
  redis.call('SET', KEYS[1], string.format('%.3f', tat + fit * interval), 'PX', math.ceil(ahead + fit * interval) + 1)
  return {fit, 0}
end
if ahead + interval > tolerance + 1e-6 then
  return math.max(1, math.ceil(ahead + interval - tolerance))
end
redis.call('SET', KEYS[1], string.format('%.3f', tat + interval), 'PX', math.ceil(ahead + interval) + 1)
return 0
