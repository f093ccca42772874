import { startRedisCluster } from '../src/redis/start-redis-cluster.js';
import { startRedisServer } from '../src/redis/start-redis-server.js';
import { createRedisKeys } from '../src/store/redis-keys.js';

/** True when the chaos run was asked for Redis Cluster (`npm run chaos -- --cluster`, or CHAOS_CLUSTER=1). */
export function chaosOnCluster(): boolean {
  return process.env['CHAOS_CLUSTER'] === '1';
}

export interface ChaosRedis {
  /** For the config: one server's URL, and the cluster's seeds when on a cluster. */
  readonly where: { redisUrl: string; redisClusterNodes: string[] };
  /** True when durability must still be switched on with CONFIG SET on the runtime's connection. */
  readonly needsDurableConfig: boolean;
  /** Kills Redis and starts it again: the one server, or the cluster's master holding the result store. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A scenario's own Redis: one redis-server with AOF, or (chaosOnCluster) a local 3-master Redis Cluster whose
 * nodes fsync their AOF on every write (src/redis/start-redis-cluster.ts).
 */
export async function startChaosRedis(prefix: string): Promise<ChaosRedis> {
  if (!chaosOnCluster()) {
    const server = await startRedisServer({ appendOnly: true });
    return {
      where: { redisUrl: server.url, redisClusterNodes: [] },
      needsDurableConfig: true,
      restart: () => server.restart(),
      stop: () => server.stop(),
    };
  }
  const cluster = await startRedisCluster({ masters: 3, durable: true });
  const first = cluster.nodes[0];
  if (first === undefined) throw new Error('the cluster has no node');
  return {
    where: { redisUrl: first.url, redisClusterNodes: [...cluster.seeds] },
    needsDurableConfig: false,
    restart: async () => cluster.restartNode(await cluster.nodeServing(createRedisKeys(prefix).pairs)),
    stop: () => cluster.stop(),
  };
}
