import type { LuaScript } from '../redis/define-script.js';

/**
 * The Lua scripts behind `createPortalRateLimiter` (see that file for the design). Each script touches only the
 * keys of one portal (one Redis Cluster slot) and runs atomically, so every worker process sees one state; every
 * change that spans several keys (a grant, a 503 report) happens inside one script.
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

-- Times are floats (T = 1000 / (rate * rho)); 1 microsecond absorbs their rounding.
local EPS = 0.001

local function ceil_ms(x)
  return string.format('%.0f', math.ceil(x - EPS))
end

-- Adaptive state (key adapt), or nil when the portal runs at its configured rate. Fields: pl plateau and lo
-- low rate fraction, a probe amplitude, td time of the last counted 503 (the epoch), bu end of the pause after
-- the last 503.
local function adapt_load(key)
  local v = redis.call('HMGET', key, 'pl', 'lo', 'a', 'td', 'bu')
  local pl = tonumber(v[1])
  if pl == nil then return nil end
  return { pl = pl, lo = tonumber(v[2]) or pl, a = tonumber(v[3]) or 0, td = tonumber(v[4]) or 0,
           bu = tonumber(v[5]) or 0 }
end

-- s (in units of K after td) where the rate fraction is back to 1.
local function s_full(st)
  if st.pl >= 1 then return 1 end
  if st.a <= 0 then return math.huge end
  return 1 + ((1 - st.pl) / st.a) ^ (1 / 3)
end

-- Rate fraction rho at time t: from lo up to pl along a concave cubic during K ms after td, then a convex cubic
-- probe above pl, capped at 1. Never below lo.
local function rho_at(st, K, t)
  if st == nil then return 1 end
  local s = (t - st.td) / K
  if s <= 0 then return st.lo end
  if s <= 1 then
    local u = 1 - s
    return st.pl - (st.pl - st.lo) * u * u * u
  end
  local w = s - 1
  return math.min(1, st.pl + st.a * w * w * w)
end

-- Integral of rho from td to td + s * K, in units of K (s >= 0).
local function rho_int(st, s)
  local d = st.pl - st.lo
  if s <= 1 then
    local u = 1 - s
    return st.pl * s - d * (1 - u * u * u * u) / 4
  end
  local sf = s_full(st)
  local e = math.min(s, sf)
  local w = e - 1
  local v = st.pl - d / 4 + st.pl * w + st.a * w * w * w * w / 4
  if s > sf then v = v + (s - sf) end
  return v
end

-- ms of drain at the configured rate that the model bucket gets between t1 and t2 (t1 <= t2).
local function drain_ms(st, K, t1, t2)
  if st == nil then return t2 - t1 end
  local s1 = math.max(0, (t1 - st.td) / K)
  local s2 = math.max(0, (t2 - st.td) / K)
  return K * (rho_int(st, s2) - rho_int(st, s1))
end

-- Model of the server's bucket (key bucket) drained to now: level l (requests), its time t, and the current
-- cycle: grants n since c, which started at level l0 (0: an empty bucket; burst: full after a 503).
local function bucket_load(key, st, K, now, rate)
  local v = redis.call('HMGET', key, 'l', 't', 'n', 'c', 'l0')
  local l = tonumber(v[1])
  if l == nil then return 0, now, 0, now, 0 end
  local t = tonumber(v[2]) or now
  local n = tonumber(v[3]) or 0
  local c = tonumber(v[4]) or t
  local l0 = tonumber(v[5]) or 0
  if now > t then
    l = l - rate * drain_ms(st, K, t, now) / 1000
    t = now
    if l <= 0 then
      -- Empty: whatever the server's bucket held has drained too; a new cycle starts from empty.
      l = 0
      n = 0
      c = now
      l0 = 0
    end
  end
  return l, t, n, c, l0
end
`;

/**
 * KEYS: bucket, adapt, park, wake.
 * ARGV: clock, rate (per s), burst, method, arrival margin ms, recovery ms (K).
 * Returns {'granted', epoch} or {reason, retryAt} with reason 'rate' | 'backoff' | 'method_parked'.
 */
const reserveLua = `${prelude}
local now = clock(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local margin_ms = tonumber(ARGV[5]) or 0
local K = tonumber(ARGV[6])

local parked = tonumber(redis.call('HGET', KEYS[3], ARGV[4]))
if parked ~= nil and parked > now then
  return {'method_parked', ceil_ms(parked)}
end

local st = adapt_load(KEYS[2])
local l, t, n, c, l0 = bucket_load(KEYS[1], st, K, now, rate)
-- t >= now: a caller whose clock runs behind uses the model's time (time only moves forward, as in GCRA).
local rho = rho_at(st, K, t)
local Tb = 1000 / rate
local T = Tb / rho
-- Part of the burst kept unused (in requests), so requests arriving a little early still fit the server's bucket.
local margin = math.min(margin_ms, (burst - 1) * T) / T
local limit = burst - 1 - margin
local epoch = 0
if st ~= nil then epoch = st.td end

if (l - limit) * T <= EPS then
  l = l + 1
  redis.call('HSET', KEYS[1], 'l', num(l), 't', num(t), 'n', num(n + 1), 'c', num(c), 'l0', num(l0),
    'r', num(rate), 'b', num(burst))
  -- Expires once drained at the current rate (the rate only rises until the next 503, which rewrites it).
  redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(l * T + t - now)))
  return {'granted', num(epoch)}
end

-- Denied: nothing is taken. The caller gets a wake-up ticket: the first time a slot frees at the current rate,
-- or, if earlier callers were already told that time, one interval of the configured rate after the last ticket.
local at = t + (l - limit) * T
local reason = 'rate'
if st ~= nil and now < st.bu then reason = 'backoff' end
local wake = tonumber(redis.call('GET', KEYS[4]))
if wake ~= nil and wake > at then at = wake end
local next_wake = at + Tb
redis.call('SET', KEYS[4], num(next_wake), 'PX', math.max(1, math.ceil(next_wake - now)))
return {reason, ceil_ms(at)}
`;

/**
 * KEYS: bucket, adapt, wake.
 * ARGV: clock, recovery ms (K), max factor, decrease, cushion, probe, coalesce ms, epoch ('' when unknown),
 * arrival margin ms.
 * Returns {until, factor, counted}: the 503'd caller's wake-up ticket, 1 / rate fraction, 1 if the report
 * changed the rate (0: coalesced with the previous one).
 */
const reportQueryLimitExceededLua = `${prelude}
local now = clock(ARGV[1])
local K = tonumber(ARGV[2])
local floor = 1 / tonumber(ARGV[3])
local decrease = tonumber(ARGV[4])
local cushion = tonumber(ARGV[5])
local probe = tonumber(ARGV[6])
local coalesce_ms = tonumber(ARGV[7])
local epoch = tonumber(ARGV[8])
local margin_ms = tonumber(ARGV[9]) or 0

local st = adapt_load(KEYS[2])
local td = 0
if st ~= nil then td = st.td end
-- A call granted before the last counted 503 was already in flight when that one was reported: same overflow.
local coalesced
if epoch ~= nil then
  coalesced = epoch < td
else
  coalesced = st ~= nil and now - td < coalesce_ms
end

local bv = redis.call('HMGET', KEYS[1], 'r', 'b')
local rate = tonumber(bv[1])
local burst = tonumber(bv[2])
local l, t, n, c, l0 = 0, now, 0, now, 0
if rate ~= nil and burst ~= nil then
  l, t, n, c, l0 = bucket_load(KEYS[1], st, K, now, rate)
end

local rho = rho_at(st, K, now)
if not coalesced then
  -- Multiplicative decrease from the current rate, unless the cycle that just ended measured more: between
  -- two full buckets (or from an empty one) the server admitted exactly what we sent, minus what it held.
  local pl = rho * (1 - decrease)
  if rate ~= nil and burst ~= nil and now > c then
    local measured = (n - 1 - (burst - l0)) / ((now - c) / 1000) / rate
    if measured > pl then pl = math.min(1, measured) end
  end
  pl = math.max(floor, pl)
  local lo = math.max(floor, pl * (1 - cushion))
  st = { pl = pl, lo = lo, a = math.max(pl - lo, probe), td = now, bu = 0 }
  rho = lo
end

local ticket = now
if rate ~= nil and burst ~= nil then
  -- The server's bucket is full now: resynchronise the model, resume once it has room again.
  local T = 1000 / (rate * rho)
  local margin = math.min(margin_ms, (burst - 1) * T) / T
  local bu = now + (1 + margin) * T
  if bu > st.bu then st.bu = bu end
  if not coalesced then
    n = 0
    c = now
    l0 = burst
  end
  redis.call('HSET', KEYS[1], 'l', num(burst), 't', num(now), 'n', num(n), 'c', num(c), 'l0', num(l0),
    'r', num(rate), 'b', num(burst))
  redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil(burst * T)))
  -- The refused caller gets a ticket like any denied one.
  ticket = st.bu
  local wake = tonumber(redis.call('GET', KEYS[3]))
  if wake ~= nil and wake > ticket then ticket = wake end
  local next_wake = ticket + 1000 / rate
  redis.call('SET', KEYS[3], num(next_wake), 'PX', math.max(1, math.ceil(next_wake - now)))
elseif st.bu < now then
  st.bu = now
end

redis.call('HSET', KEYS[2], 'pl', num(st.pl), 'lo', num(st.lo), 'a', num(st.a), 'td', num(st.td),
  'bu', num(st.bu))
-- Expires once the rate is back to the configured one (the curve reaches 1).
local expire_at = math.max(st.bu, st.td + K * s_full(st))
redis.call('PEXPIRE', KEYS[2], math.max(1, math.ceil(expire_at - now)))
local counted = 1
if coalesced then counted = 0 end
return {ceil_ms(ticket), num(1 / rho), counted}
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

/**
 * KEYS: adapt, park. ARGV: clock, recovery ms (K).
 * Returns {factor, backoffUntil, method1, until1, ...}.
 */
const inspectLua = `${prelude}
local now = clock(ARGV[1])
local st = adapt_load(KEYS[1])
local rho = rho_at(st, tonumber(ARGV[2]), now)
local out = {num(1 / rho), '0'}
if st ~= nil then out[2] = num(st.bu) end
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

/**
 * The limiter's scripts, each a complete Lua chunk with its KEYS count (the KEYS/ARGV header of each is above its
 * text), run through the project's one script loader (src/redis/define-script.ts).
 */
export const portalRateLimiterLua = {
  reserve: { name: 'RlReserve', numberOfKeys: 4, lua: reserveLua },
  reportQueryLimitExceeded: { name: 'RlQle', numberOfKeys: 3, lua: reportQueryLimitExceededLua },
  parkMethod: { name: 'RlPark', numberOfKeys: 1, lua: parkMethodLua },
  inspect: { name: 'RlInspect', numberOfKeys: 2, lua: inspectLua },
} as const satisfies Record<string, LuaScript>;
