-- quota_return.lua: give n segments back to a tenant's daily quota.
-- KEYS[1] quota counter  <prefix>:quota:{<tenant>}:<day>
-- ARGV[1] n
-- A missing counter (expired) stays missing; the counter never goes below
-- 0. Returns the used count after the call.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local used = redis.call('DECRBY', KEYS[1], ARGV[1])
if used < 0 then
  redis.call('SET', KEYS[1], '0', 'KEEPTTL')
  used = 0
end
return used
