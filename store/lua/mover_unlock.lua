-- mover_unlock.lua: release the lock of a channel's failover mover if
-- owner still holds it (a lock that expired and was taken over is left).
-- KEYS[1] lock         {p:ch}:mover  STRING owner
-- ARGV[1] owner
-- Returns 1 when released, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
