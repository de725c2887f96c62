-- mover_lock.lua: take or renew the lock of a channel's failover mover
-- (one mover per channel in the cluster at a time).
-- KEYS[1] lock         {p:ch}:mover  STRING owner (TTL: the lease)
-- ARGV[1] owner        ARGV[2] lease (ms)
-- Returns 1 when owner holds the lock (taken or renewed), 0 when another
-- owner holds it.
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
