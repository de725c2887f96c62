-- mo.lua: store one MO part; when the message is complete, queue an sms.mo event.
-- KEYS[1] MO parts hash  {T}:mo:<src>:<dest>:<ref>:<total>
-- KEYS[2] dedup key      {T}:dedup:<DELIVER msg_id>
-- KEYS[3] event queue    {T}:ev:ready (lib: K_EVQ)
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] dedup TTL (s)   ARGV[4] part TTL (s)
-- ARGV[5] event id nonce           ARGV[6] total   ARGV[7] index (1-based)
-- ARGV[8] part bytes (without UDH) ARGV[9] src    ARGV[10] dest (Dest_Id)
-- ARGV[11] service id   ARGV[12] link id   ARGV[13] msg_fmt   ARGV[14] callback URL
-- Returns {"dup"} (DELIVER seen before, or part index already stored),
-- {"part", parts stored so far}, or
-- {"done", event id, joined bytes, src, dest, service id, link id, msg_fmt,
--  first part time (ms), parts}.
K_EVQ = KEYS[3]
NOW = ARGV[2]
NONCE = ARGV[5]
-- The dedup key is checked first but written only once the part is stored:
-- writes before a script error are not rolled back, and a dedup key
-- without its part would turn the ISMG's resend into a lost part.
if redis.call('EXISTS', KEYS[2]) == 1 then return {'dup'} end
local function seen() redis.call('SET', KEYS[2], '1', 'EX', ARGV[3]) end
local total, idx = tonumber(ARGV[6]), tonumber(ARGV[7])
local data, src, dest, svc, link, fmt, cb = ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local first = NOW
if total > 1 then
  if redis.call('HSETNX', KEYS[1], 'p:' .. idx, data) == 0 then return {'dup'} end
  local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
  if n == 1 then
    redis.call('HSET', KEYS[1], 'svc', svc, 'link', link, 'fmt', fmt, 'at', NOW)
  end
  if n < total then
    redis.call('EXPIRE', KEYS[1], ARGV[4])
    seen()
    return {'part', n}
  end
  local fields = {}
  for i = 1, total do fields[i] = 'p:' .. i end
  local parts = redis.call('HMGET', KEYS[1], unpack(fields))
  local meta_v = redis.call('HMGET', KEYS[1], 'svc', 'link', 'fmt', 'at')
  svc, link, fmt, first = meta_v[1] or svc, meta_v[2] or link, meta_v[3] or fmt, meta_v[4] or NOW
  for i = 1, total do parts[i] = parts[i] or '' end
  data = table.concat(parts)
  redis.call('DEL', KEYS[1])
end
local eid = new_event({'type', 'sms.mo', 'src', src, 'dest', dest, 'svc', svc, 'link', link,
                       'fmt', fmt, 'data', data, 'parts', tostring(total), 'first', first, 'cb', cb})
flush()
seen()
return {'done', eid, data, src, dest, svc, link, fmt, first, tostring(total)}
