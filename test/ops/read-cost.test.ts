import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { readPortalPage } from '../../src/api/read-portal-page.js';
import { readProgress } from '../../src/api/read-progress.js';
import { readAttention } from '../../src/ops/read-attention.js';
import { type PairJob, ROLLOUT_QUEUE } from '../../src/pipeline/pair-job.js';
import { createRedisKeys, type RedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore, type ResultStore } from '../../src/store/result-store.js';
import { newRedis, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The read paths of `/api/progress`, `/api/attention`, `/api/portals` and the dashboard cost what their page
 * holds, not what the store holds: every Redis command of one read (the commands the scripts run inside too,
 * as MONITOR shows them) is counted on a store of 40 pairs and on one of 800, and the two counts are equal.
 */

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function client(): Redis {
  const redis = newRedis();
  closers.push(() => redis.quit());
  return redis;
}

const error = { code: 'ERROR_CORE', message: 'boom' };

/** `count` pairs on count/2 portals (two apps each): a quarter failed, a quarter needs_reauth, a quarter registered. */
async function fill(store: ResultStore, count: number): Promise<void> {
  const pairs = Array.from({ length: count }, (_, i) => ({
    domain: `p${String(Math.floor(i / 2)).padStart(5, '0')}.bitrix24.com`,
    code: i % 2 === 0 ? 'echo' : 'ping',
  }));
  for (let i = 0; i < pairs.length; i += 500) {
    await store.requestPresent(
      pairs.slice(i, i + 500).map((p) => ({ ...p, defHash: 'h1', portalParked: false, rolloutId: 'r-1' })),
    );
  }
  await Promise.all(
    pairs.map(async (p, i) => {
      if (i % 4 === 0) await store.recordFailure(p.domain, p.code, { op: 'register', error, final: true });
      if (i % 4 === 1) await store.markNeedsReauth(p.domain, p.code, error);
      if (i % 4 === 2) {
        await store.markApplied(p.domain, p.code, {
          op: 'register',
          appId: i,
          defHash: 'h1',
          hashUsed: undefined,
        });
      }
    }),
  );
}

/** Counts the Redis commands (on this test's keys) that `read` causes, scripts' inner commands included. */
async function commandsOf(redis: Redis, keys: RedisKeys, read: () => Promise<unknown>): Promise<number> {
  const monitor = await client().monitor();
  closers.push(() => monitor.disconnect() as unknown as Promise<void>);
  const seen: string[][] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args.some((arg) => arg.includes(keys.prefix))) seen.push(args);
  });
  await read();
  const sentinel = `${keys.prefix}:sentinel`;
  await redis.get(sentinel);
  await waitFor(() => seen.some((args) => args.includes(sentinel)), { message: 'the sentinel in MONITOR' });
  monitor.disconnect();
  return seen.findIndex((args) => args.includes(sentinel));
}

async function setUp(count: number) {
  const redis = client();
  const keys = createRedisKeys(uniquePrefix('cost'));
  const results = createResultStore({ redis, keys });
  await fill(results, count);
  const queue = new Queue<PairJob>(ROLLOUT_QUEUE, { connection: redis, prefix: keys.queuePrefix });
  closers.unshift(() => queue.close());
  const reads = {
    progress: () => readProgress({ results, queue }, Date.now),
    attention: () => readAttention(results, { limit: 8, historyLimit: 4 }),
    attentionNeedsReauth: () => readAttention(results, { limit: 8, historyLimit: 4, only: 'needs_reauth' }),
    portals: () => readPortalPage(results, {}, { offset: 3, limit: 5 }),
    failedPortals: () => readPortalPage(results, { states: ['failed'] }, { offset: 2, limit: 5 }),
    rolloutCounts: () => results.countsForRollout('r-1'),
    rolloutAttention: () => results.listAttention({ rolloutId: 'r-1', offset: 4, limit: 6 }),
  };
  // Warm up: the first read builds the indexes' version mark and loads the scripts; that is not the page's cost.
  for (const read of Object.values(reads)) await read();
  return { redis, keys, reads };
}

describe('page reads', () => {
  it('issue the same number of Redis commands for 40 pairs as for 800', async () => {
    const small = await setUp(40);
    const large = await setUp(800);
    // The pages themselves are full in both stores, so they hold the same rows.
    expect((await small.reads.attention()).pairs).toHaveLength(8);
    expect((await large.reads.portals()).portals).toHaveLength(5);
    expect((await large.reads.attention()).total).toBe(400);

    const cost: Record<string, [number, number]> = {};
    for (const name of Object.keys(small.reads) as (keyof typeof small.reads)[]) {
      cost[name] = [
        await commandsOf(small.redis, small.keys, small.reads[name]),
        await commandsOf(large.redis, large.keys, large.reads[name]),
      ];
    }
    for (const [name, [few, many]] of Object.entries(cost)) {
      expect(few, `${name}: some commands were seen`).toBeGreaterThan(0);
      expect(many, `${name}: commands for 800 pairs vs 40`).toBe(few);
    }
  });
});
