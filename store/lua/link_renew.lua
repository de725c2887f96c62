-- link_renew.lua: extend the leases of link slots of a scope.
-- KEYS[1] slots zset     <prefix>:slots:{<scope>}
-- ARGV[1] now (ms)   ARGV[2] lease deadline (ms)   ARGV[3] key TTL (ms)
-- ARGV[4..] link ids
-- Expired slots are dropped first; a link whose slot is gone is not given
-- one back (another link may hold it now): it is returned as lost.
-- Returns the lost link ids.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local lost, add = {}, {}
for i = 4, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    add[#add + 1] = ARGV[2]
    add[#add + 1] = ARGV[i]
  else
    lost[#lost + 1] = ARGV[i]
  end
end
if #add > 0 then
  redis.call('ZADD', KEYS[1], 'XX', unpack(add))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return lost
