-- cmpp_release.lua: return leased CMPP DELIVER entries to the ready queue
-- at once (their link is gone, or they were resent unanswered).
-- KEYS[1] ready entries  {T}:cq:<account>
-- KEYS[2] leased entries {T}:cql:<account>
-- KEYS[3] entry payloads {T}:cqd:<account>
-- ARGV[1] wake channel   ARGV[2] account   ARGV[3..] entry ids
-- Entries not leased (acked, or already returned) are left alone. Each
-- goes back with its enqueue time (field 2 of its payload), so it keeps
-- its place; the account is published on the wake channel when any did.
-- Returns the number of entries returned.
local add = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if redis.call('ZREM', KEYS[2], id) == 1 then
    local p = redis.call('HGET', KEYS[3], id)
    local e = p and string.match(p, '^[^|]*|([^|]*)|')
    if e then
      add[#add + 1] = e
      add[#add + 1] = id
    end
  end
end
if #add == 0 then return 0 end
redis.call('ZADD', KEYS[1], unpack(add))
redis.call('PUBLISH', ARGV[1], ARGV[2])
return #add / 2
