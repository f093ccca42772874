import type { Redis } from 'ioredis';
import type { AppDefinition } from '../apps/app-definition-schema.js';
import type { RedisKeys } from './redis-keys.js';

/** Definitions addressed by their hash: immutable, so a queued pair always applies exactly what was asked. */
export function createDefinitionStore(options: { redis: Redis; keys: RedisKeys }) {
  const { redis, keys } = options;
  return {
    async save(defHash: string, definition: AppDefinition): Promise<void> {
      await redis.set(keys.definition(defHash), JSON.stringify(definition), 'NX');
    },
    async get(defHash: string): Promise<AppDefinition | undefined> {
      const raw = await redis.get(keys.definition(defHash));
      return raw === null ? undefined : (JSON.parse(raw) as AppDefinition);
    },
  };
}

export type DefinitionStore = ReturnType<typeof createDefinitionStore>;
