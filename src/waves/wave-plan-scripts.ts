import type { LuaScript } from '../redis/define-script.js';

/**
 * Compare-and-set of a wave plan: applies the change only when the plan still has the version the caller read,
 * so two controllers (workers, `rollout --wait`, an operator's `--resume`) never both advance one plan.
 * KEYS: plan hash, active plans set.
 * ARGV: expected version, plan id, active ('add' | 'rem' | ''), then field, value, ... to set.
 * Returns the new version, or 0 when the plan is missing or another transition came first (nothing written).
 */
export const WAVE_PLAN_TRANSITION: LuaScript = {
  name: 'WavePlanTransition',
  numberOfKeys: 2,
  lua: `-- KEYS: plan, active set. ARGV: expected version, plan id, active op, field/value pairs.
local version = redis.call('HGET', KEYS[1], 'version')
if not version or version ~= ARGV[1] then return 0 end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
local next = redis.call('HINCRBY', KEYS[1], 'version', 1)
if ARGV[3] == 'add' then redis.call('SADD', KEYS[2], ARGV[2])
elseif ARGV[3] == 'rem' then redis.call('SREM', KEYS[2], ARGV[2]) end
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
