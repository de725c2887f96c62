-- ev_body.lua: keep the first rendered body of an event.
-- KEYS[1] event hash     {T}:ev:<eid>
-- ARGV[1] body
-- Returns the stored body (the first one saved), or false when the event
-- does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'body', ARGV[1])
return redis.call('HGET', KEYS[1], 'body')
