import type { LuaScript } from '../redis/define-script.js';

/**
 * Compare-and-set of a wave plan: applies the change only when the plan still has the version the caller read,
 * so two controllers (workers, `rollout --wait`, an operator's `--resume`) never both advance one plan. The same
 * step keeps the active and open sets in step with the new state and, when the plan ends done or is promoted,
 * makes its definitions the stable ones of their CODEs (docs/waves.md, "Stable definitions"): a plan is never done
 * without its promotion, and the last plan to finish is the one that stays stable.
 * KEYS: plan hash, active plans set, open plans set, stable apps hash.
 * ARGV: expected version, plan id, active ('add' | 'rem' | ''), open ('rem' | ''), n = number of stable entries,
 * then n times CODE, stable entry JSON, then field, value, ... to set on the plan.
 * Returns the new version, or 0 when the plan is missing or another transition came first (nothing written).
 */
export const WAVE_PLAN_TRANSITION: LuaScript = {
  name: 'WavePlanTransition',
  numberOfKeys: 4,
  lua: `-- KEYS: plan, active set, open set, stable apps. ARGV: expected version, plan id, active op, open op,
-- n, n x (CODE, entry), field/value pairs.
local version = redis.call('HGET', KEYS[1], 'version')
if not version or version ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[5])
for i = 0, n - 1 do redis.call('HSET', KEYS[4], ARGV[6 + 2 * i], ARGV[7 + 2 * i]) end
local first = 6 + 2 * n
if #ARGV >= first then redis.call('HSET', KEYS[1], unpack(ARGV, first)) end
local next = redis.call('HINCRBY', KEYS[1], 'version', 1)
if ARGV[3] == 'add' then redis.call('SADD', KEYS[2], ARGV[2])
elseif ARGV[3] == 'rem' then redis.call('SREM', KEYS[2], ARGV[2]) end
if ARGV[4] == 'rem' then redis.call('SREM', KEYS[3], ARGV[2]) end
return next
`,
};

/**
 * Releases a plan's lease if this tick still holds it.
 * KEYS: lease. ARGV: holder token. Returns 1 when released.
 */
export const RELEASE_WAVE_LEASE: LuaScript = {
  name: 'ReleaseWaveLease',
  numberOfKeys: 1,
  lua: `-- KEYS: lease. ARGV: holder token.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
};
