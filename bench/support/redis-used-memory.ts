import type { RedisClient } from '../../src/redis/redis-client.js';

/** `used_memory` from INFO memory, bytes: what Redis holds for data and its own structures. */
export async function redisUsedMemory(redis: RedisClient): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match?.[1]) throw new Error('INFO memory has no used_memory line');
  return Number(match[1]);
}
