-- move_in.lua: store a moving request on its target channel and queue all
-- its jobs there (step 2 of Store.MoveQueued).
-- KEYS[1] request hash   {T}:req:<id> (target channel)
-- KEYS[2] active tenants {T}:tq
-- KEYS[3] virtual clock  {T}:vc
-- ARGV[1] tag   ARGV[2] request id   ARGV[3] source channel
-- ARGV[4..] the request hash as field, value pairs (as the source holds
--           it, with channel = target and every job queued)
-- The hash gets "mvfrom" = source; its R×S jobs go to the tail of the
-- tenant's queue of the request's priority, the tenant joining the fair
-- queue if it was not active.
-- Returns 1 when stored, 0 when an earlier run stored it already (same
-- source), -1 when another request holds the id here (nothing written).
K_TQ, K_VC = KEYS[2], KEYS[3]
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], F_MVFROM) == ARGV[3] then return 0 end
  return -1
end
local id = ARGV[2]
local fields = {F_MVFROM, ARGV[3]}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
push_chunks('HSET', KEYS[1], fields)
local m = meta(id)
for r = 1, m.R do
  for s = 1, m.S do queue_job(m, id .. ':' .. r .. ':' .. s) end
end
push_queued(false)
return 1
