/**
 * The Lua scripts behind `createPortalRateLimiter` (see that file for the design). Each script touches only the
 * keys of one portal (one Redis Cluster slot) and runs atomically, so every worker process sees one state.
 *
 * ARGV[1] of every script is the clock: a number (the caller's ms epoch) or the word `redis` (use Redis `TIME`).
 * Numbers go back to the client as strings: Redis would truncate Lua floats to integers.
 */

const prelude = `
local function clock(arg)
  if arg == 'redis' then
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return tonumber(arg)
end

local function num(x)
  return string.format('%.17g', x)
end

-- Times are floats (T = 1000 * factor / rate); 1 microsecond absorbs their rounding.
local EPS = 0.001

local function ceil_ms(x)
  return string.format('%.0f', math.ceil(x - EPS))
end

-- Adaptive state with the quiet-period decay applied lazily: the factor halves for every quiet period that
-- passed since the last change (a report sets lc = backoff end, so the decay starts when calls resume).
local function adapt_load(key, now, quiet)
  local v = redis.call('HMGET', key, 'f', 'bu', 'lc', 'ok')
  local f = tonumber(v[1]) or 1
  local bu = tonumber(v[2]) or 0
  local lc = tonumber(v[3]) or 0
  local ok = tonumber(v[4]) or 0
  if f > 1 and now - lc >= quiet then
    local periods = math.floor((now - lc) / quiet)
    f = f / (2 ^ periods)
    if f < 1 then f = 1 end
    lc = lc + periods * quiet
    ok = 0
  end
  return f, bu, lc, ok
end

-- Writes the adaptive state back; once the factor is 1 and the backoff is over the key is dropped. Otherwise it
-- expires when the quiet-period decay would have brought the factor back to 1 anyway.
local function adapt_save(key, now, quiet, f, bu, lc, ok)
  if f <= 1 and now >= bu then
    redis.call('DEL', key)
    return
  end
  redis.call('HSET', key, 'f', num(f), 'bu', num(bu), 'lc', num(lc), 'ok', num(ok))
  local halvings = 0
  local g = f
  while g > 1 do
    g = g / 2
    halvings = halvings + 1
  end
  local expire_at = math.max(bu, lc + halvings * quiet)
  redis.call('PEXPIRE', key, math.max(1, math.ceil(expire_at - now)))
end
`;

/**
 * KEYS: tat, adapt, park, wake. ARGV: clock, rate (per s), burst, method, quiet period ms, arrival margin ms.
 * Returns {'granted', '0'} or {reason, retryAt} with reason 'rate' | 'backoff' | 'method_parked'.
 */
const reserveLua = `${prelude}
local now = clock(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local quiet = tonumber(ARGV[5])

local parked = tonumber(redis.call('HGET', KEYS[3], ARGV[4]))
if parked ~= nil and parked > now then
  return {'method_parked', ceil_ms(parked)}
end

local f, bu = adapt_load(KEYS[2], now, quiet)
local T = 1000 * f / rate
local tau = (burst - 1) * T
-- Part of the burst kept unused, so requests arriving a little early still fit the server's bucket.
local margin = math.min(tonumber(ARGV[6]) or 0, tau)

local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
-- After QUERY_LIMIT_EXCEEDED the server's bucket is full: resume at backoff end with no burst credit.
if bu > 0 and tat < bu + tau then tat = bu + tau end

if tat - now <= tau - margin + EPS then
  local next_tat = tat + T
  redis.call('SET', KEYS[1], num(next_tat), 'PX', math.max(1, math.ceil(next_tat - now)))
  return {'granted', '0'}
end

-- Denied: nothing is taken. The caller gets a wake-up ticket: the first time a slot frees, or, if earlier
-- callers were already told that time, one emission interval after the last ticket handed out.
local at = tat - tau + margin
local reason = 'rate'
if now < bu then reason = 'backoff' end
local wake = tonumber(redis.call('GET', KEYS[4]))
if wake ~= nil and wake > at then at = wake end
local next_wake = at + T
redis.call('SET', KEYS[4], num(next_wake), 'PX', math.max(1, math.ceil(next_wake - now)))
return {reason, ceil_ms(at)}
`;

/**
 * KEYS: adapt. ARGV: clock, quiet period ms, max factor, base backoff ms, max backoff ms.
 * Returns {backoffUntil, factor}.
 */
const reportQueryLimitExceededLua = `${prelude}
local now = clock(ARGV[1])
local quiet = tonumber(ARGV[2])
local f, bu, lc, ok = adapt_load(KEYS[1], now, quiet)
-- Reports arriving during a backoff come from calls already in flight when the first one was reported:
-- coalesce them instead of doubling once per in-flight call.
if now < bu then
  return {ceil_ms(bu), num(f)}
end
f = math.min(tonumber(ARGV[3]), f * 2)
bu = now + math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * f)
adapt_save(KEYS[1], now, quiet, f, bu, bu, 0)
return {ceil_ms(bu), num(f)}
`;

/** KEYS: adapt. ARGV: clock, quiet period ms, successes to halve. Returns 1 if the state changed, else 0. */
const reportSuccessLua = `${prelude}
local now = clock(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local quiet = tonumber(ARGV[2])
local f, bu, lc, ok = adapt_load(KEYS[1], now, quiet)
-- Answers to calls sent before the backoff say nothing about the server now.
if now < bu then
  return 0
end
ok = ok + 1
if ok >= tonumber(ARGV[3]) then
  f = math.max(1, f / 2)
  ok = 0
  lc = now
end
adapt_save(KEYS[1], now, quiet, f, bu, lc, ok)
return 1
`;

/**
 * KEYS: park. ARGV: clock, method, until. Keeps the later of an existing and the new time, drops expired
 * methods, and lets the hash expire with its latest entry. Returns 'OK'.
 */
const parkMethodLua = `${prelude}
local now = clock(ARGV[1])
local method = ARGV[2]
local until_at = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
local latest = 0
local current = nil
for i = 1, #all, 2 do
  local u = tonumber(all[i + 1]) or 0
  if u <= now then
    redis.call('HDEL', KEYS[1], all[i])
  else
    if all[i] == method then current = u end
    if u > latest then latest = u end
  end
end
if until_at > now and (current == nil or until_at > current) then
  redis.call('HSET', KEYS[1], method, num(until_at))
  if until_at > latest then latest = until_at end
end
if latest > now then
  redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(latest - now)))
end
return 'OK'
`;

/** KEYS: adapt, park. ARGV: clock, quiet period ms. Returns {factor, backoffUntil, method1, until1, ...}. */
const inspectLua = `${prelude}
local now = clock(ARGV[1])
local f, bu = adapt_load(KEYS[1], now, tonumber(ARGV[2]))
local out = {num(f), num(bu)}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local u = tonumber(all[i + 1]) or 0
  if u > now then
    table.insert(out, all[i])
    table.insert(out, num(u))
  end
end
return out
`;

/** The limiter's scripts, each a complete Lua chunk. */
export const portalRateLimiterLua = {
  reserve: reserveLua,
  reportQueryLimitExceeded: reportQueryLimitExceededLua,
  reportSuccess: reportSuccessLua,
  parkMethod: parkMethodLua,
  inspect: inspectLua,
} as const;
