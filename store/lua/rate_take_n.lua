-- rate_take_n.lua: up to n requests against a tenant's request rate (the
-- GCRA of rate_take.lua, same key and state), for callers that admit
-- requests in batches (cmppserver's group commit of SUBMITs).
-- KEYS[1] rate state     <prefix>:rate:{<tenant>}
-- ARGV[1] now (ms)   ARGV[2] rate: requests per second (> 0)   ARGV[3] n (> 0)
-- Takes the largest k <= n that fits the burst (one second's worth) and
-- advances the theoretical arrival time by k intervals.
-- Returns k (0..n).
local now, rate, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local interval = 1000 / rate
local tolerance = 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local ahead = tat - now
if ahead < 0 then ahead, tat = 0, now end
local k = math.floor((tolerance - ahead) / interval + 1e-6)
if k > n then k = n end
if k <= 0 then return 0 end
redis.call('SET', KEYS[1], string.format('%.3f', tat + k * interval), 'PX', math.ceil(ahead + k * interval) + 1)
return k
