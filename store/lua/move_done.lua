-- move_done.lua: delete the source copy of a moved request (last step of
-- Store.MoveQueued, after the target copy and the request index).
-- KEYS[1] request hash   {T}:req:<id> (source channel)
-- KEYS[2] sched zset     {T}:sched
-- ARGV[1] target channel
-- ARGV[2..] the request's scheduled jobs, removed from KEYS[2]
-- Does nothing unless the hash is marked as moving to the target. Its jobs
-- left in the queue lists are removed by purge_queue.lua.
-- Returns 1 when deleted, 0 otherwise.
if redis.call('HGET', KEYS[1], F_MV) ~= ARGV[1] then return 0 end
local i = 2
while i <= #ARGV do
  local j = math.min(i + 999, #ARGV)
  redis.call('ZREM', KEYS[2], unpack(ARGV, i, j))
  i = j + 1
end
redis.call('DEL', KEYS[1])
return 1
