-- part_done.lua: end one transfer of a request's hash once part_in.lua
-- applied it on the target (last step of a transfer; store/parts.go).
-- KEYS[1] request hash   {C}:req:<id> (source channel)
-- KEYS[2] transfers      {C}:xfer
-- ARGV[1] request id   ARGV[2] transfer id   ARGV[3] target channel
-- ARGV[4] TTL (s) of a hash left with no recipient of its own to send
-- The transfer leaves "px" (the id leaves KEYS[2] with the last one) and
-- the target joins "pc", the channels GetRequest and CancelRequest visit.
-- Returns 1 when ended, 0 when it was not pending.
local px = redis.call('HGET', KEYS[1], F_PX)
local left, found = {}, false
for x in string.gmatch(px or '', '[^,]+') do
  if x == ARGV[2] then found = true else left[#left + 1] = x end
end
if not found then
  if #left == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
  return 0
end
redis.call('HDEL', KEYS[1], F_XT .. ARGV[2], F_XR .. ARGV[2])
local pc = redis.call('HGET', KEYS[1], F_PC) or ''
if not string.find(',' .. pc .. ',', ',' .. ARGV[3] .. ',', 1, true) then
  if pc == '' then pc = ARGV[3] else pc = pc .. ',' .. ARGV[3] end
  redis.call('HSET', KEYS[1], F_PC, pc)
end
if #left > 0 then
  redis.call('HSET', KEYS[1], F_PX, table.concat(left, ','))
  return 1
end
redis.call('HDEL', KEYS[1], F_PX)
redis.call('ZREM', KEYS[2], ARGV[1])
local v = redis.call('HMGET', KEYS[1], F_R, F_RFIN)
if (tonumber(v[2]) or 0) >= tonumber(v[1]) and redis.call('TTL', KEYS[1]) == -1 then
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
return 1
