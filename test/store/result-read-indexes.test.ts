import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore } from '../../src/store/result-store.js';
import { newRedis, uniquePrefix } from '../support/redis.js';
import { expectIndexesMatch } from './support/expect-indexes-match.js';

const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});

function setUp(now: () => number = Date.now) {
  const redis = newRedis();
  clients.push(redis);
  const keys = createRedisKeys(uniquePrefix('indexes'));
  const store = createResultStore({ redis, keys, now });
  return { redis, keys, store, check: () => expectIndexesMatch(redis, keys, store) };
}

const error = { code: 'ERROR_CORE', message: 'boom' };
const zero = { pending: 0, registered: 0, failed: 0, needs_reauth: 0, unregistered: 0 };

describe('per-rollout counts', () => {
  it('count the pairs of each rollout by state and move a pair taken over by a later rollout', async () => {
    const { store, check } = setUp();
    const a = { domain: 'a.bitrix24.com', code: 'echo' };
    const b = { domain: 'b.bitrix24.com', code: 'echo' };
    const c = { domain: 'c.bitrix24.com', code: 'echo' };
    await store.requestPresent(
      [a, b, c].map((p) => ({ ...p, defHash: 'h1', portalParked: p === c, rolloutId: 'r-1' })),
    );
    expect(await store.countsForRollout('r-1')).toEqual({ ...zero, pending: 2, needs_reauth: 1 });
    await store.markApplied(a.domain, a.code, {
      op: 'register',
      appId: 1,
      defHash: 'h1',
      hashUsed: undefined,
    });
    await store.recordFailure(b.domain, b.code, { op: 'register', error, final: true });
    expect(await store.countsForRollout('r-1')).toEqual({
      ...zero,
      registered: 1,
      failed: 1,
      needs_reauth: 1,
    });
    await check();

    // r-2 asks for a (registered with this definition: nothing to do, but it is r-2's now) and b (queued anew).
    expect(
      await store.requestPresent(
        [a, b].map((p) => ({ ...p, defHash: 'h1', portalParked: false, rolloutId: 'r-2' })),
      ),
    ).toEqual(['unchanged', 'queued']);
    expect(await store.countsForRollout('r-1')).toEqual({ ...zero, needs_reauth: 1 });
    expect(await store.countsForRollout('r-2')).toEqual({ ...zero, registered: 1, pending: 1 });
    expect((await store.get(a.domain, a.code))?.rolloutId).toBe('r-2');
    // r-1 keeps a record of what it handed over, in the states the pairs had then (docs/waves.md).
    expect(await store.handedOverFromRollout('r-1')).toEqual({ ...zero, registered: 1, failed: 1 });
    expect(await store.handedOverFromRollout('r-2')).toEqual(zero);
    await check();

    // Operator moves (retry, unregister) keep the pair in its rollout; its counts follow its state.
    await store.recordFailure(b.domain, b.code, { op: 'register', error, final: true });
    expect(await store.requestRetry([b])).toEqual([true]);
    expect(await store.requestAbsent([c])).toEqual(['nothing_to_call']);
    expect(await store.countsForRollout('r-1')).toEqual({ ...zero, unregistered: 1 });
    expect(await store.countsForRollout('r-2')).toEqual({ ...zero, registered: 1, pending: 1 });
    expect(await store.countsForRollout('r-unknown')).toEqual(zero);
    // Moves within one rollout hand nothing over.
    expect(await store.handedOverFromRollout('r-1')).toEqual({ ...zero, registered: 1, failed: 1 });
    expect(await store.handedOverFromRollout('r-2')).toEqual(zero);
    await check();
  });

  it('refuses a rollout id holding the "|" the indexes separate fields with', async () => {
    const { store } = setUp();
    await expect(
      store.requestPresent([
        { domain: 'a.bitrix24.com', code: 'echo', defHash: 'h1', portalParked: false, rolloutId: 'r|1' },
      ]),
    ).rejects.toThrow(/holds a "\|"/);
  });
});

describe('attention index', () => {
  it('pages failed pairs first, then parked ones, the most recently changed first, globally and per rollout', async () => {
    let clock = 1_000;
    const { store, check } = setUp(() => clock);
    const pair = (i: number) => ({ domain: `p${i}.bitrix24.com`, code: 'echo' });
    // p0..p5 in r-1, p6..p7 in r-2; p0, p2, p4, p6 fail (in that order), p1, p3, p7 are parked.
    await store.requestPresent(
      [0, 1, 2, 3, 4, 5].map((i) => ({ ...pair(i), defHash: 'h1', portalParked: false, rolloutId: 'r-1' })),
    );
    await store.requestPresent(
      [6, 7].map((i) => ({ ...pair(i), defHash: 'h1', portalParked: false, rolloutId: 'r-2' })),
    );
    for (const i of [0, 2, 4, 6]) {
      clock += 10;
      await store.recordFailure(pair(i).domain, 'echo', { op: 'register', error, final: true });
    }
    for (const i of [1, 3, 7]) {
      clock += 10;
      await store.markNeedsReauth(pair(i).domain, 'echo', error);
    }
    await check();
    const names = (page: { pairs: { domain: string }[] }) => page.pairs.map((p) => p.domain.slice(0, 2));

    const all = await store.listAttention({ limit: 100 });
    expect(all.total).toBe(7);
    expect(names(all)).toEqual(['p6', 'p4', 'p2', 'p0', 'p7', 'p3', 'p1']);
    expect(all.pairs[0]).toEqual({ domain: 'p6.bitrix24.com', code: 'echo', state: 'failed' });
    expect(all.pairs[4]?.state).toBe('needs_reauth');
    expect(names(await store.listAttention({ offset: 3, limit: 2 }))).toEqual(['p0', 'p7']);
    expect(names(await store.listAttention({ only: 'needs_reauth', limit: 100 }))).toEqual([
      'p7',
      'p3',
      'p1',
    ]);

    const r1 = await store.listAttention({ rolloutId: 'r-1', limit: 100 });
    expect(r1.total).toBe(5);
    expect(names(r1)).toEqual(['p4', 'p2', 'p0', 'p3', 'p1']);
    const r1Failed = await store.listAttention({ rolloutId: 'r-1', only: 'failed', offset: 1, limit: 1 });
    expect({ total: r1Failed.total, names: names(r1Failed) }).toEqual({ total: 3, names: ['p2'] });
    expect(await store.listAttention({ rolloutId: 'r-3', limit: 10 })).toEqual({ total: 0, pairs: [] });

    // A later write to a failed pair moves it to the front; a retried pair leaves the index.
    clock += 10;
    await store.recordWait(pair(0).domain, 'echo', { op: 'register', until: clock + 1_000, error });
    expect(await store.requestRetry([pair(2)])).toEqual([true]);
    expect(names(await store.listAttention({ rolloutId: 'r-1', only: 'failed', limit: 10 }))).toEqual([
      'p0',
      'p4',
    ]);
    await check();
  });
});

describe('state and portal indexes', () => {
  it('page the pairs of one state and the portals holding a state, in pair order', async () => {
    const { store, check } = setUp();
    const domains = ['a.bitrix24.com', 'b.bitrix24.com', 'c.bitrix24.com'];
    await store.requestPresent(
      domains.flatMap((domain) =>
        ['echo', 'ping'].map((code) => ({ domain, code, defHash: 'h1', portalParked: false })),
      ),
    );
    await store.recordFailure('b.bitrix24.com', 'ping', { op: 'register', error, final: true });
    await store.recordFailure('c.bitrix24.com', 'echo', { op: 'register', error, final: true });
    await check();
    expect(await store.listByState('failed', { limit: 10 })).toEqual({
      total: 2,
      pairs: [
        { domain: 'b.bitrix24.com', code: 'ping' },
        { domain: 'c.bitrix24.com', code: 'echo' },
      ],
    });
    expect(await store.listByState('pending', { offset: 1, limit: 2 })).toEqual({
      total: 4,
      pairs: [
        { domain: 'a.bitrix24.com', code: 'ping' },
        { domain: 'b.bitrix24.com', code: 'echo' },
      ],
    });
    expect(await store.listByState('pending', { portal: 'a.bitrix24.com', limit: 10 })).toMatchObject({
      total: 2,
    });
    expect(await store.listPortals({ limit: 2 })).toEqual({ total: 3, domains: domains.slice(0, 2) });
    expect(await store.listPortals({ state: 'failed', offset: 1, limit: 5 })).toEqual({
      total: 2,
      domains: ['c.bitrix24.com'],
    });
    // A portal leaves a state's portals when its last pair there moves on.
    expect(await store.requestRetry([{ domain: 'b.bitrix24.com', code: 'ping' }])).toEqual([true]);
    expect(await store.listPortals({ state: 'failed', limit: 5 })).toEqual({
      total: 1,
      domains: ['c.bitrix24.com'],
    });
    await check();
  });
});

describe('indexes of data written before they existed', () => {
  /** What a store written by the version before the read indexes holds: the pairs, no index, no `ix` marks. */
  async function forgetIndexes(redis: Redis, keys: ReturnType<typeof createRedisKeys>): Promise<void> {
    await redis.del(
      keys.rolloutCounts,
      keys.pairsByState,
      keys.portalStates,
      keys.attention,
      keys.rolloutAttention,
      keys.resultPortals,
      keys.resultIndexVersion,
    );
    for (const member of await redis.zrange(keys.pairs, 0, -1)) {
      const at = member.indexOf('|');
      await redis.hdel(keys.result(member.slice(0, at), member.slice(at + 1)), 'ix', 'attentionEntry');
    }
  }

  async function writeMixedPairs(store: ReturnType<typeof createResultStore>, count: number) {
    const pairs = Array.from({ length: count }, (_, i) => ({ domain: `p${i}.bitrix24.com`, code: 'echo' }));
    await store.requestPresent(
      pairs.map((p, i) => ({ ...p, defHash: 'h1', portalParked: i % 7 === 0, rolloutId: `r-${i % 3}` })),
    );
    for (const [i, p] of pairs.entries()) {
      if (i % 5 === 1) await store.recordFailure(p.domain, p.code, { op: 'register', error, final: true });
      if (i % 5 === 2) {
        await store.markApplied(p.domain, p.code, {
          op: 'register',
          appId: i,
          defHash: 'h1',
          hashUsed: undefined,
        });
      }
    }
    return pairs;
  }

  it('are built once from the pairs, by one of several processes, while writers go on', async () => {
    const { redis, keys, store, check } = setUp();
    const pairs = await writeMixedPairs(store, 300);
    const expected = {
      r0: await store.countsForRollout('r-0'),
      attention: await store.listAttention({ limit: 1_000 }),
    };
    await forgetIndexes(redis, keys);
    expect(await redis.exists(keys.attention, keys.rolloutCounts)).toBe(0);

    // Two processes start reading at once; a third keeps writing meanwhile (its moves index the pairs they touch).
    const second = createResultStore({ redis: clients[clients.push(newRedis()) - 1] as Redis, keys });
    const third = createResultStore({ redis: clients[clients.push(newRedis()) - 1] as Redis, keys });
    const writes = (async () => {
      for (const p of pairs.slice(0, 40))
        await third.recordWait(p.domain, p.code, { op: 'x', until: 1, error: null });
    })();
    const [countsA, countsB] = await Promise.all([
      createResultStore({ redis, keys }).countsForRollout('r-0'),
      second.countsForRollout('r-0'),
      writes,
    ]);
    expect(countsA).toEqual(expected.r0);
    expect(countsB).toEqual(expected.r0);
    expect(await redis.get(keys.resultIndexVersion)).toBe('1');
    expect(await redis.exists(keys.resultIndexLock)).toBe(0);
    await check();
    // The waits above changed updatedAt of some pairs: compare the attention set, not its order.
    const attention = await store.listAttention({ limit: 1_000 });
    expect(attention.total).toBe(expected.attention.total);
    expect(new Set(attention.pairs.map((p) => p.domain))).toEqual(
      new Set(expected.attention.pairs.map((p) => p.domain)),
    );
    // Once built, a new process only reads the version.
    expect(await createResultStore({ redis, keys }).ensureIndexes()).toBe(0);
  });

  it('are built by the next process when the one holding the lock died', async () => {
    const { redis, keys, store, check } = setUp();
    await writeMixedPairs(store, 20);
    await forgetIndexes(redis, keys);
    await redis.set(keys.resultIndexLock, 'a-dead-process', 'PX', 300);
    expect(await createResultStore({ redis, keys }).ensureIndexes()).toBe(20);
    expect(await redis.get(keys.resultIndexVersion)).toBe('1');
    await check();
  });
});
