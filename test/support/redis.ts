import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { afterEach, expect, inject } from 'vitest';
import type { RedisTarget } from '../../src/redis/redis-target.js';

/** URL of the run's private redis-server (see global-setup.ts); one server even in the cluster variant. */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

/** Seeds of the run's local Redis Cluster in the cluster variant (global-setup.ts), else empty. */
export function testClusterNodes(): string[] {
  const nodes = inject('redisClusterNodes');
  return nodes === '' ? [] : nodes.split(',');
}

/**
 * Where the code under test finds Redis, for a config (`loadConfig({}, { ...testRedisTarget(), ... })`): the
 * private server, or in the cluster variant the local Redis Cluster.
 */
export function testRedisTarget(): RedisTarget {
  return { redisUrl: testRedisUrl(), redisClusterNodes: testClusterNodes() };
}

/** A fresh key prefix per test, so tests never see each other's keys or queues. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

const open = new Set<{ label: string; close: () => Promise<unknown> }>();

/**
 * Tracks a resource (Redis client, worker, server) the test must close. A test that leaves one open fails
 * (graphile-worker style leak check); the resource is closed anyway so later tests are not affected.
 */
export function track<T>(label: string, resource: T, close: (r: T) => Promise<unknown>): T {
  const entry = { label, close: () => close(resource) };
  open.add(entry);
  return resource;
}

export function untrack(label: string): void {
  for (const entry of open) if (entry.label === label) open.delete(entry);
}

/** REDIS_URL and REDIS_CLUSTER_NODES for a process the test spawns (a fixture reads them with connectRedis). */
export function testRedisEnv(): { REDIS_URL: string; REDIS_CLUSTER_NODES: string } {
  return { REDIS_URL: testRedisUrl(), REDIS_CLUSTER_NODES: testClusterNodes().join(',') };
}

/**
 * A connection to the test Redis. In the cluster variant it is an ioredis Cluster on the local Redis Cluster,
 * typed as Redis so the suites run unchanged: the commands, pipelines, MULTIs and scripts they use exist on
 * both (a pipeline, MULTI or script with keys in two slots fails there, which is what the variant checks).
 */
export function newRedis(): Redis {
  const nodes = testClusterNodes();
  if (nodes.length === 0) return new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  const seeds = nodes.map((seed) => {
    const [host = '127.0.0.1', port = '6379'] = seed.split(':');
    return { host, port: Number(port) };
  });
  return new Cluster(seeds, { redisOptions: { maxRetriesPerRequest: null } }) as unknown as Redis;
}

export function installLeakCheck(): void {
  afterEach(async () => {
    const leaked = [...open].map((e) => e.label);
    for (const entry of open) await entry.close().catch(() => undefined);
    open.clear();
    expect(leaked, 'resources left open by the test').toEqual([]);
  });
}
