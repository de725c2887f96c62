-- ev_get.lua: read one event wherever it is (GetEvent).
-- KEYS[1] event record   {T}:ev:<eid>
-- KEYS[2] event ready    {T}:ev:ready
-- ARGV[1] event id
-- Returns {"r", record} (its key, or its entry in the ready list, which
-- is scanned: a new event has no key until leased), {"h", HGETALL array}
-- for an event hash of the previous version, or false.
local v = redis.pcall('GET', KEYS[1])
if type(v) == 'table' and v.err then
  local h = redis.call('HGETALL', KEYS[1])
  if #h == 0 then return false end
  return {'h', h}
end
if v then return {'r', v} end
local prefix = '~id' .. #ARGV[1] .. ':' .. ARGV[1]
local n = redis.call('LLEN', KEYS[2])
for i = 0, n - 1, 1000 do
  for _, e in ipairs(redis.call('LRANGE', KEYS[2], i, i + 999)) do
    if string.sub(e, 1, #prefix) == prefix then return {'r', e} end
  end
end
return false
