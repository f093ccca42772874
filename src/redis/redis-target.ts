import { describeRedisUrl } from './describe-redis-url.js';

/**
 * Where Redis is: `redisUrl` (REDIS_URL) for one server, or `redisClusterNodes` (REDIS_CLUSTER_NODES) for a
 * Redis Cluster. With seeds set, the Cluster is used and REDIS_URL is not (docs/operations.md, "Scaling out").
 */
export interface RedisTarget {
  readonly redisUrl: string;
  /** Seed nodes of a Redis Cluster, `host:port` or `redis[s]://[user:password@]host:port`; empty: one server. */
  readonly redisClusterNodes: readonly string[];
}

/** One seed of REDIS_CLUSTER_NODES, parsed. */
export interface ClusterSeed {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

/** Splits REDIS_CLUSTER_NODES (comma- or space-separated) into its items. */
export function splitClusterNodes(value: string | readonly string[]): string[] {
  const items = typeof value === 'string' ? value.split(/[\s,]+/) : value;
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** A seed, or why it is not one (the message never repeats a password). */
export function parseClusterSeed(item: string): ClusterSeed | { problem: string } {
  const text = /^rediss?:\/\//.test(item) ? item : `redis://${item}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: 'each seed must be host:port or redis[s]://[user:password@]host:port' };
  }
  const shown = `${url.hostname}:${url.port}`;
  if (url.hostname === '') return { problem: `seed ${shown} has no host` };
  if (url.port === '') {
    return { problem: `seed ${url.hostname} has no port: write host:port, e.g. ${url.hostname}:6379` };
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '') {
    return { problem: `seed ${shown}: a cluster has no database number or options in the address` };
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port),
    tls: url.protocol === 'rediss:',
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

/** The seeds of a target (throws on a bad one: config validation has already named it). */
export function clusterSeeds(target: RedisTarget): ClusterSeed[] {
  return target.redisClusterNodes.map((item) => {
    const seed = parseClusterSeed(item);
    if ('problem' in seed) throw new RangeError(`REDIS_CLUSTER_NODES: ${seed.problem}`);
    return seed;
  });
}

/** Where Redis is, as it may be shown to an operator (no credentials). */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.redisClusterNodes.length === 0) return describeRedisUrl(target.redisUrl);
  const seeds = target.redisClusterNodes.map((item) => {
    const seed = parseClusterSeed(item);
    return 'problem' in seed ? '?' : `${seed.host}:${seed.port}`;
  });
  return `the Redis Cluster at ${seeds.join(',')}`;
}
