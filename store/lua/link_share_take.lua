-- link_share_take.lua: take a link slot of a channel's operator account
-- (channels[].max_links), shared fairly by its live replicas (helpers and
-- keys: link_share.lua, prepended).
-- KEYS[1] slots zset     <prefix>:slots:{<scope>}     (link id -> lease deadline ms)
-- KEYS[2] replicas zset  <prefix>:replicas:{<scope>}  (owner -> liveness deadline ms)
-- ARGV[1] now (ms)   ARGV[2] lease deadline (ms), also the owner's liveness
-- ARGV[3] max (cluster limit)   ARGV[4] key TTL (ms): the lease
-- ARGV[5] owner   ARGV[6] want (the replica's links)   ARGV[7] link id
-- Registers the owner as live, then takes the slot if fewer than max are
-- held cluster-wide and the owner holds fewer than its share. A link that
-- holds its slot already keeps it with the new deadline.
-- Returns {1 taken | 0 refused, the owner's share}.
local max, want, owner, id = tonumber(ARGV[3]), tonumber(ARGV[6]), ARGV[5], ARGV[7]
share_live(ARGV[1], owner, ARGV[2], ARGV[4])
local target = share_target(owner, max, want)
if not redis.call('ZSCORE', KEYS[1], id) then
  if redis.call('ZCARD', KEYS[1]) >= max or share_own(owner) >= target then
    return {0, target}
  end
end
redis.call('ZADD', KEYS[1], ARGV[2], id)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, target}
