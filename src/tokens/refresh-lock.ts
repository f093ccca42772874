import { randomUUID } from 'node:crypto';
import { defineScript, type LuaScript } from '../redis/define-script.js';
import type { RedisClient } from '../redis/redis-client.js';

/**
 * Deletes the lock only if this owner still holds it: an expired-and-retaken lock is never released by us.
 * KEYS: lock. ARGV: owner. Returns 1 when deleted, else 0.
 */
const RELEASE: LuaScript = {
  name: 'RefreshLockRelease',
  numberOfKeys: 1,
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
};

/**
 * Takes the lock, or finds it already ours. ioredis re-sends a command whose answer was lost when the connection
 * dropped (`autoResendUnfulfilledCommands`, on by default; a Cluster client retries it after a failover too), so
 * Redis can run one acquire twice: the first run took the lock, the re-sent one must not report it as taken by
 * someone else, or the worker would wait out its own lock (docs/reliability.md, "A refresh lock re-sent after a
 * reconnect"). Finding its own owner value, it renews the TTL: the holder counts its whole TTL from this answer.
 * KEYS: lock. ARGV: owner, ttlMs. Returns {1} when held by `owner` now, else {0, current holder}.
 */
const ACQUIRE: LuaScript = {
  name: 'RefreshLockAcquire',
  numberOfKeys: 1,
  lua: `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1}
end
return {0, holder}
`,
};

export interface RefreshLock {
  /** This process's owner value (random per attempt to hold the lock). */
  readonly owner: string;
  /**
   * Takes the lock when it is free or already this owner's (a re-sent acquire: see ACQUIRE), for the whole TTL;
   * else returns the current holder's owner value.
   */
  acquire(): Promise<{ acquired: true } | { acquired: false; holder: string | null }>;
  /** Whether this owner still holds the lock (it has not expired and been taken by someone else). */
  isHeld(): Promise<boolean>;
  /** Compare-and-delete. */
  release(): Promise<void>;
}

/**
 * One portal's refresh lock (a Redis key, single instance). The TTL bounds how long a crashed holder blocks
 * everyone else; it must exceed the holder's whole refresh (see token-manager.ts for the relation).
 */
export function createRefreshLock(redis: RedisClient, key: string, ttlMs: number): RefreshLock {
  const owner = `${process.pid}:${randomUUID()}`;
  const release = defineScript(redis, RELEASE);
  const acquire = defineScript(redis, ACQUIRE);
  return {
    owner,
    async acquire() {
      const [taken, holder] = (await acquire.run([key], [owner, ttlMs])) as [number, string?];
      if (taken === 1) return { acquired: true };
      return { acquired: false, holder: holder ?? null };
    },
    async isHeld() {
      return (await redis.get(key)) === owner;
    },
    async release() {
      await release.run([key], [owner]);
    },
  };
}
