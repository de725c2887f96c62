-- link_take.lua: take a link slot of a scope if fewer than max are live.
-- KEYS[1] slots zset     <prefix>:slots:{<scope>} (link id -> lease deadline ms)
-- ARGV[1] now (ms)   ARGV[2] lease deadline (ms)   ARGV[3] max
-- ARGV[4] link id    ARGV[5] key TTL (ms): the lease, so an idle scope goes
-- Expired slots (a crashed replica's links) are dropped before counting.
-- A link that holds a slot already keeps it with the new deadline.
-- Returns 1 when the slot is held, 0 when max slots are live.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
