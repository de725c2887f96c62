-- cmpp_mo.lua: queue an MO DELIVER for a CMPP account, once per operator
-- DELIVER Msg_Id.
-- KEYS[1] dedup key      {T}:dedup:<DELIVER msg_id> (shared with mo.lua)
-- KEYS[2] ready entries  {T}:cq:<account>
-- KEYS[3] entry payloads {T}:cqd:<account>
-- ARGV[1] now (ms)   ARGV[2] dedup TTL (s)   ARGV[3] entry id
-- ARGV[4] payload (cmpp_queue.go encodeMO)   ARGV[5] wake channel
-- ARGV[6] account
-- Returns 1 when the DELIVER was seen before (nothing written), else 0:
-- the entry is queued and the account published on the wake channel.
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[3])
redis.call('SET', KEYS[1], '1', 'EX', ARGV[2])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 0
