import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from './redis-client.js';
import { clusterSeeds, type RedisTarget } from './redis-target.js';

/** Back-off between reconnect attempts: 100 ms more each time, at most 2 s. */
const retryStrategy = (times: number): number => Math.min(100 * times, 2_000);

/**
 * How a Cluster client rides through a node restart or a failover (ioredis ClusterOptions). A command whose node
 * connection closed, or that got CLUSTERDOWN, is retried after a slots refresh, `retryDelayOn*` apart; each retry
 * spends one of `maxRedirections` (16 by default: 2 s). 10,000 redirections at 200-500 ms are half an hour or
 * more, far longer than a failover (cluster-node-timeout, 15 s by default, plus the election): a worker waits out
 * a node restart or a failover as it waits out a single Redis restart (`maxRetriesPerRequest: null`), instead of
 * failing the jobs in flight. A node that comes back on its own address (a restart without
 * failover) is reconnected to with the same back-off as a single server (`clusterNodeRetryStrategy`); the slot
 * map is re-read every 5 s (`slotsRefreshInterval`), so after a failover the commands waiting for the old master
 * are sent to the promoted replica instead.
 */
export const CLUSTER_RIDE_THROUGH = {
  maxRedirections: 10_000,
  slotsRefreshInterval: 5_000,
  retryDelayOnFailover: 200,
  retryDelayOnClusterDown: 500,
  retryDelayOnTryAgain: 200,
} as const satisfies ClusterOptions;

/**
 * Options of the connection to each Redis server (the single one, or each node of a Cluster). BullMQ needs
 * `maxRetriesPerRequest: null` on every connection it blocks on (a Worker's): a command waits for the reconnect
 * instead of failing after 20 tries.
 */
function serverOptions(name: string): RedisOptions {
  return { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name };
}

/**
 * A Redis connection that survives a Redis restart: commands wait for the reconnect instead of failing. With
 * `redisClusterNodes` set it is an ioredis Cluster seeded from them (credentials and TLS from the first seed
 * that has them), else one server at `redisUrl` (a plain URL string: one server).
 */
export function connectRedis(where: RedisTarget | string, logger: Logger, name: string): RedisClient {
  const target = typeof where === 'string' ? { redisUrl: where, redisClusterNodes: [] } : where;
  const redis =
    target.redisClusterNodes.length === 0
      ? new Redis(target.redisUrl, { ...serverOptions(name), retryStrategy })
      : connectCluster(target, name);
  let reported = false;
  redis.on('error', (error: Error) => {
    if (!reported) logger.warn({ err: { message: error.message } }, 'redis connection error; reconnecting');
    reported = true;
  });
  redis.on('ready', () => {
    reported = false;
  });
  return redis;
}

function connectCluster(target: RedisTarget, name: string): Cluster {
  const seeds = clusterSeeds(target);
  const username = seeds.find((seed) => seed.username !== undefined)?.username;
  const password = seeds.find((seed) => seed.password !== undefined)?.password;
  const tls = seeds.some((seed) => seed.tls);
  return new Cluster(
    seeds.map((seed) => ({ host: seed.host, port: seed.port })),
    {
      ...CLUSTER_RIDE_THROUGH,
      enableReadyCheck: true,
      clusterRetryStrategy: retryStrategy,
      clusterNodeRetryStrategy: retryStrategy,
      redisOptions: {
        ...serverOptions(name),
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(tls ? { tls: {} } : {}),
      },
    },
  );
}
