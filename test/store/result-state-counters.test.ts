import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { PAIR_STATES, type PairState } from '../../src/store/pair-result.js';
import { createRedisKeys, type RedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore, type ResultStore } from '../../src/store/result-store.js';
import { keysMatching } from '../support/keys-matching.js';
import { newRedis, uniquePrefix } from '../support/redis.js';
import { expectIndexesMatch } from './support/expect-indexes-match.js';

/**
 * The result scripts keep two derived structures next to the pairs' hashes (src/store/result-scripts.ts):
 * `stateCounts` (pairs per state), each portal's `due` set (exactly its pending pairs) and the read indexes
 * (per-rollout counts, per-state and attention indexes). These tests recount all of them from the pairs
 * themselves after every transition, and after many writers raced on the same pairs.
 */

const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});

function client(): Redis {
  const redis = newRedis();
  clients.push(redis);
  return redis;
}

/** The counters exactly as stored (countsByState clamps at 0, so a negative counter would hide there). */
async function rawCounts(redis: Redis, keys: RedisKeys): Promise<Record<string, number>> {
  const raw = await redis.hgetall(keys.stateCounts);
  return Object.fromEntries(Object.entries(raw).map(([state, n]) => [state, Number(n)]));
}

/** Recounts every pair's state and rebuilds every portal's due set from the pairs, and compares. */
async function expectConsistent(redis: Redis, keys: RedisKeys, store: ResultStore): Promise<void> {
  const pairs = await store.listPairs();
  const results = await store.getMany(pairs);
  const recount = Object.fromEntries(PAIR_STATES.map((s) => [s, 0])) as Record<PairState, number>;
  const pendingByPortal = new Map<string, string[]>();
  for (const result of results) {
    if (!result) continue;
    recount[result.state]++;
    if (result.state === 'pending') {
      pendingByPortal.set(result.portal, [...(pendingByPortal.get(result.portal) ?? []), result.code]);
    }
  }
  // Exactly one hash per indexed pair, and no hash outside the index (a script writing to a missing pair).
  expect(results.every((r) => r !== undefined)).toBe(true);
  const hashes = await keysMatching(redis, keys.result('*', '*'));
  expect(hashes.length).toBe(pairs.length);

  const raw = await rawCounts(redis, keys);
  for (const [state, n] of Object.entries(raw)) expect(n, `counter ${state}`).toBeGreaterThanOrEqual(0);
  expect(await store.countsByState()).toEqual(recount);
  for (const state of PAIR_STATES) expect(raw[state] ?? 0, `counter ${state}`).toBe(recount[state]);

  const portals = new Set(pairs.map((p) => p.domain));
  for (const portal of portals) {
    const due = (await redis.zrange(keys.due(portal), 0, -1)).sort();
    expect(due, `due set of ${portal}`).toEqual((pendingByPortal.get(portal) ?? []).sort());
  }
  await expectIndexesMatch(redis, keys, store);
}

function setUp(now: () => number = Date.now) {
  const redis = client();
  const keys = createRedisKeys(uniquePrefix('counters'));
  const store = createResultStore({ redis, keys, now });
  return { redis, keys, store, check: () => expectConsistent(redis, keys, store) };
}

const error = { code: 'ERROR_CORE', message: 'boom' };

describe('result scripts keep stateCounts and the due sets exact', () => {
  it('through every transition, checked after each one', async () => {
    const { store, check, redis, keys } = setUp();
    const a = { domain: 'a.bitrix24.com', code: 'echo' };
    const b = { domain: 'a.bitrix24.com', code: 'ping' };
    const c = { domain: 'b.bitrix24.com', code: 'echo' };
    const ask = (pair: typeof a, defHash: string, portalParked = false) =>
      store.requestPresent([{ ...pair, defHash, portalParked }]);

    // requestPresent: queued, already pending, parked.
    expect(
      await store.requestPresent([
        { ...a, defHash: 'h1', portalParked: false },
        { ...b, defHash: 'h1', portalParked: false },
        { ...c, defHash: 'h1', portalParked: true },
      ]),
    ).toEqual(['queued', 'queued', 'parked']);
    await check();
    expect(await ask(a, 'h1')).toEqual(['already_pending']);
    await check();
    expect(await store.countsByState()).toMatchObject({ pending: 2, needs_reauth: 1 });

    // markApplied not settled (right after a register the fields are not known to match), then settled.
    expect(
      await store.markApplied(a.domain, a.code, {
        op: 'register',
        appId: 7,
        defHash: undefined,
        hashUsed: 'x',
      }),
    ).toEqual({ stillWanted: false });
    await check();
    expect((await store.get(a.domain, a.code))?.state).toBe('pending');
    expect(
      await store.markApplied(a.domain, a.code, { op: 'update', appId: 7, defHash: 'h1', hashUsed: 'x' }),
    ).toEqual({ stillWanted: true });
    await check();
    expect((await store.get(a.domain, a.code))?.state).toBe('registered');

    // requestPresent: unchanged when registered with this definition; queued again for a new one.
    expect(await ask(a, 'h1')).toEqual(['unchanged']);
    await check();
    expect(await ask(a, 'h2')).toEqual(['queued']);
    await check();

    // recordWait keeps pending, recordFailure (not final) keeps pending and counts an attempt.
    await store.recordWait(a.domain, a.code, { op: 'update', until: Date.now() + 60_000, error });
    await check();
    await store.recordFailure(a.domain, a.code, {
      op: 'update',
      error,
      final: false,
      nextAttemptAt: Date.now() + 1,
    });
    await check();
    expect((await store.get(a.domain, a.code))?.attempts).toBe(1);

    // recordFailure final -> failed; requestRetry -> pending; requestRetry of a pending pair does nothing.
    await store.recordFailure(a.domain, a.code, { op: 'update', error, final: true });
    await check();
    expect((await store.get(a.domain, a.code))?.state).toBe('failed');
    expect(await store.requestRetry([a, b])).toEqual([true, false]);
    await check();

    // markNeedsReauth parks a pending pair; requestPresent of a parked portal keeps it parked.
    await store.markNeedsReauth(b.domain, b.code, error);
    await check();
    expect(await ask(b, 'h1', true)).toEqual(['parked']);
    await check();

    // settle, forgetAppId, requestAbsent with and without an APP_ID, and of an unknown pair.
    await store.settle(a.domain, a.code, 'registered');
    await check();
    expect(await store.requestAbsent([a, b, { domain: 'a.bitrix24.com', code: 'nope' }])).toEqual([
      'queued',
      'nothing_to_call',
      'unknown',
    ]);
    await check();
    await store.forgetAppId(a.domain, a.code);
    await check();
    expect(
      await store.markApplied(a.domain, a.code, {
        op: 'unregister',
        appId: null,
        defHash: undefined,
        hashUsed: undefined,
      }),
    ).toEqual({ stillWanted: true });
    await check();
    expect((await store.get(a.domain, a.code))?.state).toBe('unregistered');
    await store.settle(c.domain, c.code, 'unregistered');
    await check();

    expect(await rawCounts(redis, keys)).toMatchObject({ pending: 0, unregistered: 3 });
  });

  it('writes nothing for a pair that does not exist', async () => {
    const { store, check, redis, keys } = setUp();
    await store.requestPresent([
      { domain: 'a.bitrix24.com', code: 'echo', defHash: 'h1', portalParked: false },
    ]);
    const ghost = { domain: 'a.bitrix24.com', code: 'ghost' };
    await store.settle(ghost.domain, ghost.code, 'registered');
    await store.markNeedsReauth(ghost.domain, ghost.code, error);
    await store.recordFailure(ghost.domain, ghost.code, { op: 'register', error, final: true });
    await store.recordFailure(ghost.domain, ghost.code, { op: 'register', error, final: false });
    await store.recordWait(ghost.domain, ghost.code, { op: 'register', until: Date.now(), error });
    await store.forgetAppId(ghost.domain, ghost.code);
    expect(
      await store.markApplied(ghost.domain, ghost.code, {
        op: 'register',
        appId: 1,
        defHash: 'h1',
        hashUsed: undefined,
      }),
    ).toEqual({ stillWanted: false });
    expect(await store.requestRetry([ghost])).toEqual([false]);
    expect(await store.requestAbsent([ghost])).toEqual(['unknown']);
    expect(
      await redis.exists(keys.result(ghost.domain, ghost.code), keys.attempts(ghost.domain, ghost.code)),
    ).toBe(0);
    await check();
  });

  it('a late result for a pair another writer settled or parked leaves it out of the due set', async () => {
    const { store, check } = setUp();
    const p = { domain: 'a.bitrix24.com', code: 'echo' };
    await store.requestPresent([{ ...p, defHash: 'h1', portalParked: false }]);
    await store.markApplied(p.domain, p.code, {
      op: 'register',
      appId: 3,
      defHash: 'h1',
      hashUsed: undefined,
    });
    await store.recordWait(p.domain, p.code, { op: 'update', until: Date.now(), error });
    await check();
    await store.recordFailure(p.domain, p.code, {
      op: 'update',
      error,
      final: false,
      nextAttemptAt: Date.now(),
    });
    await check();
    await store.markNeedsReauth(p.domain, p.code, error);
    await store.recordWait(p.domain, p.code, { op: 'update', until: Date.now(), error: null });
    await check();
  });

  it('stay exact under 20 clients firing 500 random transitions each at the same pairs', async () => {
    const { store, check, keys } = setUp();
    const portals = ['a.bitrix24.com', 'b.bitrix24.com', 'c.bitrix24.com'];
    const codes = Array.from({ length: 12 }, (_, i) => `app${i}`);
    const pairs = portals.flatMap((domain) => codes.map((code) => ({ domain, code })));
    // A small deterministic generator per client (mulberry32), so a failure can be replayed.
    const rng = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };

    async function writer(seed: number): Promise<void> {
      const redis = client();
      const own = createResultStore({ redis, keys });
      const random = rng(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
      const step = async (): Promise<void> => {
        const p = pick(pairs);
        const now = Date.now();
        switch (Math.floor(random() * 12)) {
          case 0:
          case 1:
            await own.requestPresent(
              Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
                ...pick(pairs),
                defHash: pick(['h1', 'h2']),
                portalParked: random() < 0.1,
                recreate: random() < 0.1,
                ...(random() < 0.9 ? { rolloutId: pick(['r-1', 'r-2', 'r-3']) } : {}),
              })),
            );
            return;
          case 2:
            await own.requestAbsent([p, pick(pairs)]);
            return;
          case 3:
            await own.requestRetry([p, pick(pairs)]);
            return;
          case 4:
            await own.markApplied(p.domain, p.code, {
              op: pick(['register', 'update', 'unregister']),
              appId: random() < 0.3 ? null : 1 + Math.floor(random() * 5),
              defHash: pick([undefined, 'h1', 'h2']),
              hashUsed: undefined,
              recreated: random() < 0.2,
            });
            return;
          case 5:
            await own.recordFailure(p.domain, p.code, {
              op: 'update',
              error,
              final: random() < 0.3,
              ...(random() < 0.5 ? { nextAttemptAt: now + 1_000 } : {}),
            });
            return;
          case 6:
            await own.recordWait(p.domain, p.code, {
              op: 'update',
              until: now + 500,
              error: random() < 0.5 ? error : null,
            });
            return;
          case 7:
            await own.markNeedsReauth(p.domain, p.code, error);
            return;
          case 8:
            await own.settle(p.domain, p.code, pick(['registered', 'unregistered'] as const));
            return;
          case 9:
            await own.forgetAppId(p.domain, p.code);
            return;
          case 10: {
            const claim = await own.claimDue(p.domain, p.code, { now, claimUntil: now + 5_000, limit: 3 });
            if (random() < 0.5) await own.releaseDue(p.domain, claim.others, now);
            return;
          }
          default:
            await own.requestPresent([
              { ...p, defHash: 'h1', portalParked: false, rolloutId: pick(['r-1', 'r-2']) },
            ]);
        }
      };
      // A few operations in flight per client, so one client's writes also interleave with each other.
      const lanes = Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 125; i++) await step();
      });
      await Promise.all(lanes);
    }

    await Promise.all(Array.from({ length: 20 }, (_, i) => writer(1_000 + i)));
    await check();
    const counts = await store.countsByState();
    expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe((await store.listPairs()).length);
  });
});
