-- resolve.lua: settle a request id whose create call failed: report
-- whether the request exists and, when it does not, void the id so that
-- create.lua does nothing if Redis runs it later (a command buffered on a
-- connection the client gave up on). Both scripts are atomic, so whichever
-- Redis runs first, this answer stays true.
-- KEYS[1] request hash   {T}:req:<id>
-- KEYS[2] void marker    {T}:void:<id>
-- ARGV[1] void marker TTL (ms)
-- Returns the request's create token ("" for a request stored without
-- one) when it exists, else false after writing the void marker.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HGET', KEYS[1], F_TOK) or ''
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return false
