-- move_out.lua: mark a request as moving to another channel, if all its
-- jobs are still queued or scheduled (step 1 of Store.MoveQueued).
-- KEYS[1] request hash   {T}:req:<id> (source channel)
-- ARGV[1] tag   ARGV[2] request id   ARGV[3] target channel
-- ARGV[4] "1" (MoveUnsent): also refuse a request with a job that may have
--         been sent: recovered after a lost lease ("rc:") or retried after
--         a SUBMIT without a definite answer ("uw:")
-- A request qualifies when it is not one hash of a request on several
-- channels (parts: "pc", "px", "ph"; MoveUnsent moves those), not cancelled, no recipient is final, no
-- job's submit phase is over and every job is queued or scheduled. It is
-- then marked "mv" = target: Lease, Recover and FailQueued leave its jobs
-- here alone from now on (they are dead copies). Marking again for the
-- same target is harmless (a rerun after a crash).
-- Returns {"ok", hash as field, value, ...}, {"left"} when the request does
-- not qualify (or moves elsewhere), {"gone"} when it does not exist.
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {'gone'} end
local mv, bad = nil, false
for i = 1, #h, 2 do
  local f, v = h[i], h[i + 1]
  if f == F_MV then
    mv = v
  elseif f == F_CX or f == F_PC or f == F_PX or f == F_PH or ((f == F_RFIN or f == F_NSUB) and v ~= '0') then
    bad = true
  elseif ARGV[4] == '1' and (string.sub(f, 1, #F_RC) == F_RC or string.sub(f, 1, #F_UW) == F_UW) then
    bad = true
  elseif string.sub(f, 1, #F_JOB) == F_JOB then
    local c = string.match(v, '^[^|]*')
    if c ~= JS_QUEUED and c ~= JS_SCHEDULED then bad = true end
  end
end
if mv then
  if mv == ARGV[3] then return {'ok', h} end
  return {'left'}
end
if bad then return {'left'} end
redis.call('HSET', KEYS[1], F_MV, ARGV[3])
return {'ok', h}
