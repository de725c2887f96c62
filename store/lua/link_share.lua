-- link_share.lua: helpers of link_share_take.lua and link_share_renew.lua
-- (scripts.go prepends it to both): the link slots of a channel's operator
-- account shared fairly by the live replicas (channels[].max_links).
-- KEYS[1] slots zset     <prefix>:slots:{<scope>}     (link id -> lease deadline ms)
-- KEYS[2] replicas zset  <prefix>:replicas:{<scope>}  (owner -> liveness deadline ms)
-- A link id is "<owner>/<index>".

-- share_live drops expired slots (a crashed replica's links) and expired
-- replicas, then registers owner as live until live_until.
local function share_live(now, owner, live_until, key_ttl)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], live_until, owner)
  redis.call('PEXPIRE', KEYS[2], key_ttl)
end

-- share_target is owner's share of max: max split evenly over the live
-- replicas, the remainder one each to the first replicas by owner id
-- (so every replica computes the same split), capped by want (its own
-- links). With more live replicas than max, the first max get one slot
-- each and the others none.
local function share_target(owner, max, want)
  local live = redis.call('ZRANGE', KEYS[2], 0, -1)
  table.sort(live)
  local n = #live
  local base = math.floor(max / n)
  local rank = n
  for i, o in ipairs(live) do
    if o == owner then rank = i end
  end
  local t = base
  if rank <= max - base * n then t = t + 1 end
  return math.min(t, want)
end

-- share_own counts the slots owner holds.
local function share_own(owner)
  local p = owner .. '/'
  local n = 0
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if string.sub(id, 1, #p) == p then n = n + 1 end
  end
  return n
end
