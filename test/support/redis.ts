import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, expect, inject } from 'vitest';

/** URL of the run's private redis-server (see global-setup.ts). */
export function testRedisUrl(): string {
  return inject('redisUrl');
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

export function newRedis(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
}

export function installLeakCheck(): void {
  afterEach(async () => {
    const leaked = [...open].map((e) => e.label);
    for (const entry of open) await entry.close().catch(() => undefined);
    open.clear();
    expect(leaked, 'resources left open by the test').toEqual([]);
  });
}
