-- health_tick.lua: one replica's once-a-second failover tick of a channel:
-- flush its counters, refresh "a link is up", evaluate the rules, and
-- perform the transition (up -> down, or down -> up) they call for. Every
-- replica runs it; being one script, exactly one of them performs each
-- transition.
-- KEYS[1] health hash  {p:ch}:health  fields: st ("up"|"down"), rule, since
--         (ms of the last transition, or of first sight), lu (ms a replica
--         last had a logged-in link), us (ms since which links are up
--         again, while down)
-- KEYS[2] counters     {p:ch}:hstat   field "<bucket's first unix second>:<kind>" -> count,
--         kind a (SUBMIT accepted), s (SUBMIT final failure), p (problem
--         Result), r (status report matched), f (failing report)
-- ARGV[1] now (ms)     ARGV[2] 1 when this replica has a logged-in link
-- ARGV[3..7] counts to add: a s p r f
-- ARGV[8] no_link_for (ms; 0 = rule off)     ARGV[9] window (ms)
-- ARGV[10] failure_share (0 = rule off)      ARGV[11] min_segments
-- ARGV[12] healthy_for (ms)   ARGV[13] problem span (ms)
-- ARGV[14] problem minimum (0 = rule off)    ARGV[15] link freshness (ms)
-- ARGV[16] TTL of the health hash (ms)
-- Returns {state, rule, transition (0 none, 1 down, 2 up), since,
--   ms since a link was last up, segments, bad, problems, accepted in span}.
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[9])
-- Buckets of bs seconds: at most 60 per window (1 s for windows up to a
-- minute), so that each tick reads a few hundred fields, not 5 per second
-- of a long window.
local bs = math.max(1, math.floor(window / 60000))
local sec = math.floor(now / 1000 / bs) * bs
local kinds = {'a', 's', 'p', 'r', 'f'}
for i, k in ipairs(kinds) do
  local n = tonumber(ARGV[2 + i])
  if n > 0 then redis.call('HINCRBY', KEYS[2], sec .. ':' .. k, n) end
end
redis.call('PEXPIRE', KEYS[2], window + 2000)

local h = {}
local raw = redis.call('HGETALL', KEYS[1])
for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
if not h.st then
  h.st, h.since = 'up', tostring(now)
  redis.call('HSET', KEYS[1], 'st', 'up', 'since', now)
end
if ARGV[2] == '1' then
  h.lu = tostring(now)
  redis.call('HSET', KEYS[1], 'lu', now)
end
redis.call('PEXPIRE', KEYS[1], ARGV[16])
local since = tonumber(h.since)
local lu = tonumber(h.lu or h.since)
local linkAge = now - lu
local fresh = linkAge <= tonumber(ARGV[15])

-- Sums: segments settled [now-W, now-G], reports [now-W+G, now] with
-- G = W/4 (a report's grace), problems and accepts over the span.
local grace = math.floor(window / 4)
local iFrom, iTo = (now - window) / 1000, (now - grace) / 1000
local jFrom = (now - window + grace) / 1000
local pFrom = (now - tonumber(ARGV[13])) / 1000
local a, s, r, f, p, pa = 0, 0, 0, 0, 0, 0
local stale = {}
local st = redis.call('HGETALL', KEYS[2])
for i = 1, #st, 2 do
  local b, k = string.match(st[i], '^(%d+):(%a)$')
  local t, n = tonumber(b), tonumber(st[i + 1])
  if not t or t + bs < iFrom then
    stale[#stale + 1] = st[i]
  else
    if t >= iFrom and t < iTo then
      if k == 'a' then a = a + n elseif k == 's' then s = s + n end
    end
    if t >= jFrom then
      if k == 'r' then r = r + n elseif k == 'f' then f = f + n end
    end
    if t >= pFrom then
      if k == 'p' then p = p + n elseif k == 'a' then pa = pa + n end
    end
  end
end
if #stale > 0 then redis.call('HDEL', KEYS[2], unpack(stale)) end
local seg = a + s
local noReport = a - r
if noReport < 0 then noReport = 0 end
local bad = s + f + noReport
if bad > seg then bad = seg end

local transition = 0
if h.st == 'up' then
  local rule = nil
  local noLink = tonumber(ARGV[8])
  local share = tonumber(ARGV[10])
  local pmin = tonumber(ARGV[14])
  if noLink > 0 and linkAge >= noLink then
    rule = 'no_link'
  elseif pmin > 0 and p >= pmin and p > pa then
    rule = 'problem_result'
  elseif share > 0 and seg > 0 and seg >= tonumber(ARGV[11]) and bad / seg > share then
    rule = 'failure_share'
  end
  if rule then
    h.st, h.rule, since, transition = 'down', rule, now, 1
    redis.call('HSET', KEYS[1], 'st', 'down', 'rule', rule, 'since', now)
    redis.call('HDEL', KEYS[1], 'us')
  end
else
  local us = tonumber(h.us)
  -- only a link seen after the switch counts: a "link up" of before it
  -- may still be fresh when no_link_for is shorter than the freshness
  if not fresh or lu < since then
    if us then redis.call('HDEL', KEYS[1], 'us') end
    us = nil
  elseif not us then
    us = now
    redis.call('HSET', KEYS[1], 'us', now)
  end
  local healthy = tonumber(ARGV[12])
  if us and now - us >= healthy and now - since >= healthy then
    -- Back up with a clean slate: the counters of the failed period
    -- must not trip the channel again at once; a rule that still holds
    -- trips it again on the traffic sent from now on.
    h.st, since, transition = 'up', now, 2
    redis.call('HSET', KEYS[1], 'st', 'up', 'since', now)
    redis.call('HDEL', KEYS[1], 'rule', 'us')
    redis.call('DEL', KEYS[2])
  end
end
return {h.st, h.rule or '', transition, since, linkAge, seg, bad, p, pa}
