-- link_share_renew.lua: a replica's heartbeat for a channel's shared link
-- slots (channels[].max_links): keeps it live and extends the leases of
-- the slots it holds (helpers and keys: link_share.lua, prepended).
-- KEYS[1] slots zset     <prefix>:slots:{<scope>}     (link id -> lease deadline ms)
-- KEYS[2] replicas zset  <prefix>:replicas:{<scope>}  (owner -> liveness deadline ms)
-- ARGV[1] now (ms)   ARGV[2] lease deadline (ms), also the owner's liveness
-- ARGV[3] max (cluster limit)   ARGV[4] key TTL (ms): the lease
-- ARGV[5] owner   ARGV[6] want (the replica's links)   ARGV[7..] link ids held
-- A slot whose lease had expired is not given back (another replica may
-- hold it now): it is returned as lost, and its link must close.
-- Returns {the owner's share, lost link ids...}; the caller gives back
-- slots above its share (a replica joined).
local max, want, owner = tonumber(ARGV[3]), tonumber(ARGV[6]), ARGV[5]
share_live(ARGV[1], owner, ARGV[2], ARGV[4])
local out = {share_target(owner, max, want)}
local add = {}
for i = 7, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    add[#add + 1] = ARGV[2]
    add[#add + 1] = ARGV[i]
  else
    out[#out + 1] = ARGV[i]
  end
end
if #add > 0 then
  redis.call('ZADD', KEYS[1], 'XX', unpack(add))
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return out
