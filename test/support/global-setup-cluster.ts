import type { TestProject } from 'vitest/node';
import { startRedisCluster } from '../../src/redis/start-redis-cluster.js';
import { startRedisServer } from '../../src/redis/start-redis-server.js';

/**
 * The `cluster` project (vitest.config.ts): a local 3-master Redis Cluster on free ports in a temp dir, which
 * the harness (test/support/redis.ts) connects to, and a private redis-server as in global-setup.ts for the
 * few tests that need one server. No AOF: nothing restarts this cluster (test/cluster starts its own for that).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer();
  const cluster = await startRedisCluster({ masters: 3, durable: false });
  project.provide('redisUrl', server.url);
  project.provide('redisClusterNodes', cluster.seeds.join(','));
  return async () => {
    await cluster.stop();
    await server.stop();
  };
}
