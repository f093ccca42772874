import type { AppDefinition } from '../apps/app-definition-schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { RedisKeys } from './redis-keys.js';

/** Bytes of definition JSON a store keeps in memory (icons are base64, up to ~1.4 MB each). */
const CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Definitions addressed by their hash: immutable, so a queued pair always applies exactly what was asked.
 * Immutability also makes them safe to keep in memory: `get` reads Redis once per hash and process (every job
 * of a rollout needs the same few definitions: bench/pipeline-overhead.ts). The JSON text is kept, not the
 * object, so each caller gets its own copy; the oldest entries go once `CACHE_BYTES` is reached.
 */
export function createDefinitionStore(options: { redis: RedisClient; keys: RedisKeys }) {
  const { redis, keys } = options;
  const cache = new Map<string, string>();
  let cachedBytes = 0;

  function remember(defHash: string, raw: string): void {
    if (raw.length > CACHE_BYTES || cache.has(defHash)) return;
    cache.set(defHash, raw);
    cachedBytes += raw.length;
    for (const [oldest, text] of cache) {
      if (cachedBytes <= CACHE_BYTES) break;
      cache.delete(oldest);
      cachedBytes -= text.length;
    }
  }

  return {
    async save(defHash: string, definition: AppDefinition): Promise<void> {
      await redis.set(keys.definition(defHash), JSON.stringify(definition), 'NX');
    },
    async get(defHash: string): Promise<AppDefinition | undefined> {
      const raw = cache.get(defHash) ?? (await redis.get(keys.definition(defHash)));
      if (raw === null) return undefined;
      remember(defHash, raw);
      return JSON.parse(raw) as AppDefinition;
    },
  };
}

export type DefinitionStore = ReturnType<typeof createDefinitionStore>;
