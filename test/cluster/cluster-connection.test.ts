import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/redis/connect-redis.js';
import { isCluster } from '../../src/redis/redis-client.js';
import { RedisUnavailableError } from '../../src/redis/redis-unavailable-error.js';
import { requireRedis } from '../../src/redis/require-redis.js';
import { findFreePort } from '../../src/redis/start-redis-server.js';
import { checkKeyLayout } from '../../src/store/check-key-layout.js';
import { OldKeyLayoutError } from '../../src/store/old-key-layout-error.js';
import { createRedisKeys, legacyLayoutKeys } from '../../src/store/redis-keys.js';
import {
  installLeakCheck,
  newRedis,
  testClusterNodes,
  track,
  uniquePrefix,
  untrack,
} from '../support/redis.js';

installLeakCheck();
const logger = pino({ level: 'silent' });

describe('connecting to a Redis Cluster', () => {
  it('connects through REDIS_CLUSTER_NODES with a Cluster client that reaches every slot', async () => {
    const redis = track(
      'cluster',
      connectRedis({ redisUrl: 'redis://unused:1', redisClusterNodes: testClusterNodes() }, logger, 'test'),
      (r) => r.quit(),
    );
    expect(isCluster(redis)).toBe(true);
    const keys = createRedisKeys(uniquePrefix('conn'));
    // Keys of many portals spread over the three masters; each is read back from its own node.
    const domains = Array.from({ length: 30 }, (_, i) => `p${i}.bitrix24.ru`);
    await Promise.all(domains.map((d) => redis.hset(keys.portal(d), 'domain', d)));
    expect(await Promise.all(domains.map((d) => redis.hget(keys.portal(d), 'domain')))).toEqual(domains);
    await redis.quit();
    untrack('cluster');
  });

  it('starts a command only when the cluster answers and says cluster_state:ok', async () => {
    await expect(
      requireRedis({ redisUrl: 'redis://unused:1', redisClusterNodes: testClusterNodes() }),
    ).resolves.toBe(undefined);
    const port = await findFreePort();
    const started = Date.now();
    const failure = await requireRedis({
      redisUrl: 'redis://unused:1',
      redisClusterNodes: [`127.0.0.1:${port}`],
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect((failure as Error).message).toContain(`the Redis Cluster at 127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses REDIS_URL pointing at one node of a cluster, saying to set REDIS_CLUSTER_NODES', async () => {
    const [seed] = testClusterNodes();
    const failure = await requireRedis(`redis://${seed}`).catch((error: unknown) => error);
    expect((failure as Error).message).toMatch(/is a node of a Redis Cluster: set REDIS_CLUSTER_NODES/);
  });
});

describe('data of the key layout before hash tags', () => {
  it.each(legacyLayoutKeys('PREFIX').map((key) => [key.replace('PREFIX', '<prefix>')]))(
    'refuses to start when %s exists, naming the key and the way out',
    async (pattern) => {
      const redis = track('redis', newRedis(), (r) => r.quit());
      const prefix = uniquePrefix('old');
      const key = pattern.replace('<prefix>', prefix);
      await expect(checkKeyLayout(redis, prefix)).resolves.toBe(undefined);
      await redis.set(key, 'x');
      const failure = await checkKeyLayout(redis, prefix).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OldKeyLayoutError);
      expect((failure as Error).message).toContain(`found key ${key}`);
      expect((failure as Error).message).toContain('use a new ROLLOUT_PREFIX');
      expect((failure as OldKeyLayoutError).exitCode).toBe(2);
      await redis.del(key);
      await redis.quit();
      untrack('redis');
    },
  );
});
