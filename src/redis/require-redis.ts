import { Cluster, Redis } from 'ioredis';
import { ConfigError } from '../errors/operator-error.js';
import { describeRedisUrl } from './describe-redis-url.js';
import { clusterSeeds, describeRedisTarget, type RedisTarget } from './redis-target.js';
import { RedisUnavailableError } from './redis-unavailable-error.js';

/** How long a command waits for Redis at start before it gives up (connect + PING). */
export const REDIS_START_TIMEOUT_MS = 2_000;

/** The error code of a connection failure (`ECONNREFUSED`, `ENOTFOUND`, `WRONGPASS` ...), else a short reason. */
function reasonOf(error: unknown, timeoutMs: number): string {
  if (error === undefined) return `no answer within ${timeoutMs / 1000} s`;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  const message = error instanceof Error ? error.message : String(error);
  const word = /^([A-Z][A-Z0-9_]{2,40})\b/.exec(message)?.[1];
  if (word !== undefined) return word; // Redis error replies start with their code: WRONGPASS, NOAUTH, LOADING
  return message.replace(/[^\x20-\x7e]/g, ' ').slice(0, 80);
}

/**
 * Fails fast when Redis cannot be reached: one connection attempt with a short timeout, no retries, no offline
 * queue (ioredis options `connectTimeout`, `retryStrategy`, `enableOfflineQueue`, `maxRetriesPerRequest`:
 * https://github.com/redis/ioredis/blob/main/API.md), then PING. Commands call it before they open their
 * long-lived connection, which waits through a Redis restart instead of failing (createRuntime's
 * connectRedis): without this check a command started while Redis is down waits forever, printing nothing.
 */
export async function requireRedis(
  where: RedisTarget | string,
  timeoutMs = REDIS_START_TIMEOUT_MS,
): Promise<void> {
  const target = typeof where === 'string' ? { redisUrl: where, redisClusterNodes: [] } : where;
  if (target.redisClusterNodes.length > 0) {
    await requireCluster(target, timeoutMs);
    return;
  }
  const url = target.redisUrl;
  let lastError: unknown;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    // disconnect() arms a timer of this length for a socket that may already be closed (ioredis
    // AbstractConnector): the 2 s default would keep a failing command alive that long after its error.
    disconnectTimeout: 100,
    connectionName: 'imbot-rollout-check',
  });
  let clusterNode = false;
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  // DNS and TLS can outlast connectTimeout: the whole check is bounded as well.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(undefined), timeoutMs + 500);
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const pong = await client.ping();
        if (pong !== 'PONG') throw new Error(`unexpected PING answer ${JSON.stringify(pong).slice(0, 20)}`);
        clusterNode = /^cluster_enabled:1/m.test(await client.info('cluster'));
      })(),
      deadline,
    ]);
  } catch (error) {
    // ioredis rejects connect() with "Connection is closed."; the cause with its code came as an 'error' event.
    const cause = lastError ?? error;
    throw new RedisUnavailableError(describeRedisUrl(url), reasonOf(cause, timeoutMs), { cause });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
  if (clusterNode) {
    // One node of a Cluster answers only for its own slots: every other key would come back MOVED.
    throw new ConfigError(
      `REDIS_URL (${describeRedisUrl(url)}) is a node of a Redis Cluster: set REDIS_CLUSTER_NODES to its nodes ` +
        `(host:port,host:port,...) to use the Cluster (docs/operations.md, "Scaling out")`,
    );
  }
}

/**
 * requireRedis for a Cluster: the seeds answer (same fast-fail options, `clusterRetryStrategy` off) and the
 * cluster says `cluster_state:ok`, so a command does not start against a cluster with slots uncovered.
 */
async function requireCluster(target: RedisTarget, timeoutMs: number): Promise<void> {
  const where = describeRedisTarget(target);
  const seeds = clusterSeeds(target);
  const username = seeds.find((seed) => seed.username !== undefined)?.username;
  const password = seeds.find((seed) => seed.password !== undefined)?.password;
  let lastError: unknown;
  const client = new Cluster(
    seeds.map((seed) => ({ host: seed.host, port: seed.port })),
    {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      slotsRefreshTimeout: timeoutMs,
      redisOptions: {
        connectTimeout: timeoutMs,
        commandTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        disconnectTimeout: 100,
        connectionName: 'imbot-rollout-check',
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(seeds.some((seed) => seed.tls) ? { tls: {} } : {}),
      },
    },
  );
  client.on('error', (error: unknown) => {
    lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(undefined), timeoutMs + 500);
  });
  let state: string | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        const info = String(await client.cluster('INFO'));
        state = /^cluster_state:(\w+)/m.exec(info)?.[1];
      })(),
      deadline,
    ]);
  } catch (error) {
    const cause = lastError ?? error;
    throw new RedisUnavailableError(where, reasonOf(cause, timeoutMs), { cause });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
  if (state !== 'ok') {
    throw new RedisUnavailableError(where, `cluster_state:${state ?? 'unknown'}`);
  }
}
