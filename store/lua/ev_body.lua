-- ev_body.lua: keep the first rendered body of a (leased) event.
-- KEYS[1] event record   {T}:ev:<eid>
-- ARGV[1] tag   ARGV[2] body
-- Returns the stored body (the first one saved), or false when the event
-- does not exist.
local names, vals = ev_load(KEYS[1])
if not names then return false end
if vals.body == nil then
  ev_set(names, vals, 'body', ARGV[2])
  redis.call('SET', KEYS[1], ev_encode(names, vals), 'KEEPTTL')
end
return vals.body
