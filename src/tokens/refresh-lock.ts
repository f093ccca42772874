import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineScript, type LuaScript } from '../redis/define-script.js';

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

export interface RefreshLock {
  /** This process's owner value (random per attempt to hold the lock). */
  readonly owner: string;
  /** `SET key owner NX PX ttl`: true when taken, else the current holder's owner value (or null if it just went). */
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
export function createRefreshLock(redis: Redis, key: string, ttlMs: number): RefreshLock {
  const owner = `${process.pid}:${randomUUID()}`;
  const release = defineScript(redis, RELEASE);
  return {
    owner,
    async acquire() {
      const set = await redis.set(key, owner, 'PX', ttlMs, 'NX');
      if (set === 'OK') return { acquired: true };
      return { acquired: false, holder: await redis.get(key) };
    },
    async isHeld() {
      return (await redis.get(key)) === owner;
    },
    async release() {
      await release.run([key], [owner]);
    },
  };
}
