-- create.lua: store a new request and queue its R×S jobs.
-- KEYS[1] request hash   {T}:req:<id>
-- KEYS[2] queue list     {T}:q
-- ARGV[1] tag            ARGV[2] request id
-- ARGV[3] R              ARGV[4] S
-- ARGV[5] n = number of meta ARGVs (field, value pairs) that follow
-- ARGV[6 .. 5+n]                  meta field/value pairs
-- next R ARGVs                    recipient numbers (to:1 .. to:R)
-- next S ARGVs                    segment bytes (seg:1 .. seg:S)
-- next S ARGVs                    TP_udhi flags "0"/"1" (udhi:1 .. udhi:S)
-- Returns 1, or 0 when the request already exists (nothing written).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local id, R, S, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local fields = {}
for i = 6, 5 + n do fields[#fields + 1] = ARGV[i] end
local base = 5 + n
for r = 1, R do
  fields[#fields + 1] = 'to:' .. r
  fields[#fields + 1] = ARGV[base + r]
end
base = base + R
for s = 1, S do
  fields[#fields + 1] = 'seg:' .. s
  fields[#fields + 1] = ARGV[base + s]
  fields[#fields + 1] = 'udhi:' .. s
  fields[#fields + 1] = ARGV[base + S + s]
end
push_chunks('HSET', KEYS[1], fields)
local jobs = {}
for r = 1, R do
  local p = id .. ':' .. r .. ':'
  for s = 1, S do
    jobs[#jobs + 1] = p .. s
  end
end
push_chunks('RPUSH', KEYS[2], jobs)
return 1
