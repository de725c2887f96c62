-- extend.lua: heartbeat; push the lease deadline of jobs still leased by owner.
-- KEYS[1] lease zset     {T}:lease
-- ARGV[1] tag   ARGV[2] new deadline (ms)   ARGV[3] owner
-- ARGV[4..] job ids
-- Returns the jobs whose lease was lost (no longer leased by owner).
local deadline, owner = ARGV[2], ARGV[3]
local lost = {}
for i = 4, #ARGV do
  local job = ARGV[i]
  local id, r, s = split_job(job)
  local ok = false
  if id then
    local t = jdecode(redis.call('HGET', reqkey(id), jfield(r, s)))
    if t[J_STATE] == JS_LEASED and t[J_OWNER] == owner and redis.call('ZSCORE', KEYS[1], job) then
      redis.call('ZADD', KEYS[1], 'XX', deadline, job)
      ok = true
    end
  end
  if not ok then lost[#lost + 1] = job end
end
return lost
