-- cmpp_ack.lua: remove CMPP DELIVER entries answered by DELIVER_RESP.
-- KEYS[1] ready entries  {T}:cq:<account>
-- KEYS[2] leased entries {T}:cql:<account>
-- KEYS[3] entry payloads {T}:cqd:<account>
-- ARGV[1..] entry ids
-- An entry is removed wherever it is (its lease may have expired and gone
-- back to KEYS[1]: the customer has it all the same).
-- Returns the number of entries removed.
redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('ZREM', KEYS[2], unpack(ARGV))
return redis.call('HDEL', KEYS[3], unpack(ARGV))
