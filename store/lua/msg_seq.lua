-- msg_seq.lua: reserve n consecutive Msg_Id sequence numbers of a second.
-- KEYS[1] counter        <prefix>:cmppseq:{<MMDDHHMMSS>}
-- ARGV[1] n   ARGV[2] TTL (s)
-- The counter holds how many numbers were taken (0..65535 are valid); it
-- expires once the second is long past (its stamp repeats only a year
-- later).
-- Returns the first number reserved, or -1 when fewer than n are left
-- (the numbers counted are not reused: the second is used up).
local n = tonumber(ARGV[1])
local v = redis.call('INCRBY', KEYS[1], n)
if v == n then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if v > 65536 then return -1 end
return v - n
