import type { Cluster, Redis } from 'ioredis';

/**
 * The connection our code takes: one Redis server, or a Redis Cluster (ioredis `Cluster`), made by
 * `connectRedis`. Both answer the same commands, pipelines, MULTI and scripts; what differs is that a Cluster
 * sends a pipeline, a MULTI or a script to the one node that owns its keys' slot, so every key of one of those
 * must carry the same hash tag (src/store/redis-keys.ts, docs/architecture.md "Keys and Redis Cluster").
 */
export type RedisClient = Redis | Cluster;

/** True for a Redis Cluster client. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as { isCluster?: unknown }).isCluster === true;
}

/**
 * The clients that hold data: the client itself for one server, every master for a Cluster. A command that is
 * not about one key (SCAN, SCRIPT LOAD, INFO, FLUSHDB) runs on each of them.
 */
export function dataNodes(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/**
 * `dataNodes` once the client knows them: a Cluster client learns its masters when it connects, so one that has
 * not yet is made to (a PING, which waits for the connection like any command).
 */
export async function connectedDataNodes(redis: RedisClient): Promise<Redis[]> {
  if (isCluster(redis) && redis.nodes('master').length === 0) await redis.ping();
  return dataNodes(redis);
}
