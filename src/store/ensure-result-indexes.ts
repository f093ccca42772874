import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from './redis-keys.js';

/** How long a rebuild holds its lock without renewing it (it renews after every chunk). */
const LOCK_MS = 30_000;
/** How often a process waiting for another one's rebuild looks again. */
const POLL_MS = 100;

/**
 * Makes sure the result store's read indexes (docs/architecture.md, "Read indexes") cover every pair: a store
 * written before they existed (or by an older index version) has none, so they are built once from the pairs'
 * hashes, by one process under a lock, and the version is recorded. Other processes wait for the version (or
 * take over when the lock lapses: the holder died). The rebuild (REINDEX_PAIR per pair) is idempotent and safe
 * next to live writers, so the lock only saves duplicate work. Returns how many pairs this call brought in.
 */
export async function ensureResultIndexes(deps: {
  redis: RedisClient;
  keys: RedisKeys;
  version: string;
  rebuild: (onChunk: () => Promise<void>) => Promise<number>;
}): Promise<number> {
  const { redis, keys, version } = deps;
  const token = randomBytes(8).toString('hex');
  for (;;) {
    if ((await redis.get(keys.resultIndexVersion)) === version) return 0;
    if ((await redis.set(keys.resultIndexLock, token, 'PX', LOCK_MS, 'NX')) === 'OK') {
      try {
        // Looked at again under the lock: another process may have finished between the two reads.
        if ((await redis.get(keys.resultIndexVersion)) === version) return 0;
        const added = await deps.rebuild(async () => {
          await redis.pexpire(keys.resultIndexLock, LOCK_MS);
        });
        await redis.set(keys.resultIndexVersion, version);
        return added;
      } finally {
        if ((await redis.get(keys.resultIndexLock)) === token) await redis.del(keys.resultIndexLock);
      }
    }
    await delay(POLL_MS);
  }
}
