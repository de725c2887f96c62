-- apply: one registry change (one or more records and the API key index),
-- written only if no other change was stored since the change was computed
-- (compare-and-set on the version counter), then the version is bumped.
--
-- KEYS[1] tenants   HASH   tenant name -> JSON record
-- KEYS[2] channels  HASH   channel name -> JSON record
-- KEYS[3] version   STRING change counter (absent = 0)
-- KEYS[4] keyidx    HASH   API key SHA-256 (hex) -> "<tenant>:<key id>"
-- ARGV[1] the version the change was computed from
-- ARGV[2] n, then n triples: kind ("t" tenant | "c" channel), name,
--         JSON record ("" = remove the record)
-- then    d, then d key hashes to remove from the index
-- then    a, then a pairs: key hash, "<tenant>:<key id>" to add
--
-- Returns the new version, or an error reply: "CONFLICT" (another change
-- came first: recompute and retry) or "DUPKEY <hash>" (that key belongs to
-- another tenant; nothing was written).
local cur = redis.call('GET', KEYS[3]) or '0'
if cur ~= ARGV[1] then
  return redis.error_reply('CONFLICT')
end
local i = 2
local records = {}
local n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  records[#records + 1] = {ARGV[i], ARGV[i + 1], ARGV[i + 2]}
  i = i + 3
end
local drops, dropped = {}, {}
local d = tonumber(ARGV[i]); i = i + 1
for _ = 1, d do
  drops[#drops + 1] = ARGV[i]
  dropped[ARGV[i]] = true
  i = i + 1
end
local adds = {}
local a = tonumber(ARGV[i]); i = i + 1
for _ = 1, a do
  local h, ref = ARGV[i], ARGV[i + 1]
  i = i + 2
  local owner = redis.call('HGET', KEYS[4], h)
  if owner and owner ~= ref and not dropped[h] then
    return redis.error_reply('DUPKEY ' .. h)
  end
  adds[#adds + 1] = {h, ref}
end
for _, r in ipairs(records) do
  local key = KEYS[1]
  if r[1] == 'c' then key = KEYS[2] end
  if r[3] == '' then
    redis.call('HDEL', key, r[2])
  else
    redis.call('HSET', key, r[2], r[3])
  end
end
for _, h in ipairs(drops) do
  redis.call('HDEL', KEYS[4], h)
end
for _, p in ipairs(adds) do
  redis.call('HSET', KEYS[4], p[1], p[2])
end
return redis.call('INCR', KEYS[3])
