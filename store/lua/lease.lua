-- lease.lua: move due retries to the queue, then pop and lease up to max jobs.
-- KEYS[1] queue list     {T}:q
-- KEYS[2] sched zset     {T}:sched
-- KEYS[3] lease zset     {T}:lease
-- ARGV[1] tag   ARGV[2] now (ms)   ARGV[3] lease deadline (ms)
-- ARGV[4] max jobs                 ARGV[5] lease owner
-- ARGV[6] retention (s)            ARGV[7] event id nonce
-- Jobs of vanished requests, and jobs no longer queued, are dropped from
-- the queue without being returned. Queued jobs of a cancelled request
-- (an in-flight job whose lease expired or that was retried after
-- CancelRequest) become final 'cancelled'.
-- Returns {jobs, finals}: jobs is a flat array, 8 values per job:
--   job, dest, content, udhi, msg_fmt, src_ext, S (Pk_total), attempts
-- and finals lists requests that became final.
NOW = ARGV[2]
RETENTION = tonumber(ARGV[6])
NONCE = ARGV[7]
local deadline, max, owner = ARGV[3], tonumber(ARGV[4]), ARGV[5]

local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', NOW, 'LIMIT', 0, 1000)
if #due > 0 then
  redis.call('ZREM', KEYS[2], unpack(due))
  local rev = {}
  for i = #due, 1, -1 do rev[#rev + 1] = due[i] end
  redis.call('LPUSH', KEYS[1], unpack(rev)) -- earliest due first
end

local out, zadd = {}, {}
local got, popped, budget = 0, 0, max * 8 + 1000
while got < max and popped < budget do
  local want = max - got
  local jobs = redis.call('LPOP', KEYS[1], want)
  if not jobs then break end
  popped = popped + #jobs
  for _, job in ipairs(jobs) do
    local id, r, s = split_job(job)
    local m = id and meta(id)
    if m and m.cx then
      local f = 'j:' .. r .. ':' .. s
      local t = jdecode(redis.call('HGET', reqkey(id), f))
      if t[1] == 'q' or t[1] == 'w' then
        local old = t[1]
        t[1], t[8], t[9] = 'c', 'cancelled', ''
        set_job(id, m, r, s, old, t, nil)
      end
    elseif m then
      local req = reqkey(id)
      local f = 'j:' .. r .. ':' .. s
      local v = redis.call('HMGET', req, 'to:' .. r, 'seg:' .. s, 'udhi:' .. s, f)
      local st = v[4] and string.sub(v[4], 1, 1) or 'q'
      if v[1] and (st == 'q' or st == 'w') then
        local att, enc = '1', nil
        if v[4] then
          local t = jdecode(v[4])
          att = tostring((tonumber(t[2]) or 0) + 1)
          t[1], t[2], t[9] = 'l', att, owner
          enc = jencode(t)
        else
          enc = 'l|1|||||||' .. owner .. '|' -- fresh job: jencode of {l,1,,,,,,,owner,}
        end
        redis.call('HSET', req, f, enc)
        if not m.st then
          redis.call('HSET', req, 'st', NOW)
          m.st = NOW
        end
        zadd[#zadd + 1] = deadline
        zadd[#zadd + 1] = job
        local n = #out
        out[n + 1] = job
        out[n + 2] = v[1]
        out[n + 3] = v[2] or ''
        out[n + 4] = v[3] or '0'
        out[n + 5] = m.fmt
        out[n + 6] = m.ext
        out[n + 7] = tostring(m.S)
        out[n + 8] = att
        got = got + 1
      end
    end
  end
  if #jobs < want then break end
end
push_chunks('ZADD', KEYS[3], zadd)
flush()
return {out, FINALS}
