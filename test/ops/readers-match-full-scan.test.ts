import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { readPortalPage } from '../../src/api/read-portal-page.js';
import { toAttentionRow } from '../../src/ops/attention-row.js';
import { findPairs, type PairFilter } from '../../src/ops/find-pairs.js';
import { readAllAttention, readAttention } from '../../src/ops/read-attention.js';
import { toStatusRow } from '../../src/ops/status-row.js';
import { PAIR_STATES, type PairResult, type PairState } from '../../src/store/pair-result.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { createResultStore, type ResultStore } from '../../src/store/result-store.js';
import { newRedis, uniquePrefix } from '../support/redis.js';

/**
 * The index-backed readers give what a full scan of every pair gives (the way they read before the indexes):
 * the same rows, in the same order, with the same totals, for every filter the API and the CLI take.
 */

const clients: Redis[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit()));
});

const error = { code: 'ERROR_CORE', message: 'boom' };

async function allResults(store: ResultStore): Promise<PairResult[]> {
  const out: PairResult[] = [];
  for await (const chunk of store.pairChunks({ chunk: 100 })) {
    for (const r of await store.getMany(chunk)) if (r) out.push(r);
  }
  return out;
}

/** The portal page as a full scan computes it. */
function scanPortalPage(
  all: readonly PairResult[],
  filter: PairFilter,
  page: { offset: number; limit: number },
) {
  const search = filter.search?.toLowerCase();
  const matching = all.filter(
    (r) =>
      (!filter.portal || r.portal === filter.portal) &&
      (!filter.code || r.code === filter.code) &&
      (!filter.states || filter.states.includes(r.state)) &&
      (!search || `${r.portal} ${r.code}`.toLowerCase().includes(search)),
  );
  const byPortal = new Map<string, { portal: string; states: Record<PairState, number>; pairs: unknown[] }>();
  for (const r of matching) {
    let s = byPortal.get(r.portal);
    if (!s) {
      s = {
        portal: r.portal,
        states: Object.fromEntries(PAIR_STATES.map((x) => [x, 0])) as never,
        pairs: [],
      };
      byPortal.set(r.portal, s);
    }
    s.states[r.state]++;
    s.pairs.push(toStatusRow(r));
  }
  const portals = [...byPortal.values()];
  return {
    total: portals.length,
    pairs: matching.length,
    offset: page.offset,
    limit: page.limit,
    portals: portals.slice(page.offset, page.offset + page.limit),
  };
}

async function fill(store: ResultStore, tick: () => void): Promise<void> {
  const codes = ['echo', 'ping', 'Zeta'];
  const domains = Array.from({ length: 25 }, (_, i) => `portal-${String(i).padStart(2, '0')}.bitrix24.com`);
  const pairs = domains.flatMap((domain) => codes.map((code) => ({ domain, code })));
  await store.requestPresent(
    pairs.map((p, i) => ({ ...p, defHash: 'h1', portalParked: i % 11 === 0, rolloutId: `r-${i % 2}` })),
  );
  for (const [i, p] of pairs.entries()) {
    tick();
    if (i % 5 === 1) await store.recordFailure(p.domain, p.code, { op: 'register', error, final: true });
    if (i % 5 === 2) {
      await store.markApplied(p.domain, p.code, {
        op: 'register',
        appId: i,
        defHash: 'h1',
        hashUsed: undefined,
      });
    }
    if (i % 13 === 3) await store.markNeedsReauth(p.domain, p.code, error);
    if (i % 17 === 4) await store.requestAbsent([p]);
  }
}

describe('index-backed readers', () => {
  it('match a full scan for every portal-page filter, attention page and CLI list', async () => {
    let clock = 1_700_000_000_000;
    const redis = newRedis();
    clients.push(redis);
    const keys = createRedisKeys(uniquePrefix('readers'));
    const store = createResultStore({ redis, keys, now: () => clock });
    // Some pairs share an updatedAt (ties are in pair order), most differ.
    await fill(store, () => {
      clock += clock % 3 === 0 ? 0 : 7;
      clock += 1;
    });
    const all = await allResults(store);
    expect(all.length).toBe(75);

    const filters: PairFilter[] = [
      {},
      { states: ['failed'] },
      { states: ['pending'] },
      { states: ['failed', 'needs_reauth'] },
      { states: ['registered', 'unregistered', 'pending'] },
      { states: [] },
      { code: 'ping' },
      { code: 'ping', states: ['failed'] },
      { search: 'TAL-1' },
      { search: 'com pi' },
      { search: 'zeta', states: ['needs_reauth', 'failed'] },
      { portal: 'portal-03.bitrix24.com' },
    ];
    for (const filter of filters) {
      for (const page of [
        { offset: 0, limit: 50 },
        { offset: 3, limit: 4 },
        { offset: 40, limit: 5 },
      ]) {
        expect(await readPortalPage(store, filter, page), JSON.stringify({ filter, page })).toEqual(
          scanPortalPage(all, filter, page),
        );
      }
      expect(await findPairs(store, filter), JSON.stringify(filter)).toEqual(
        scanPortalPage(all, filter, { offset: 0, limit: 1_000 }).portals.flatMap((p) =>
          all.filter(
            (r) => r.portal === p.portal && (p.pairs as { code: string }[]).some((x) => x.code === r.code),
          ),
        ),
      );
    }

    // /api/attention: failed first, then needs_reauth; newest first; then pair order.
    const rank = (r: PairResult) => (r.state === 'failed' ? 0 : 1);
    const attention = all
      .filter((r) => r.state === 'failed' || r.state === 'needs_reauth')
      .sort((a, b) => rank(a) - rank(b) || b.updatedAt - a.updatedAt);
    for (const only of [undefined, 'failed', 'needs_reauth'] as const) {
      const selected = attention.filter((r) => !only || r.state === only);
      const read = await readAttention(store, { limit: 7, historyLimit: 2, only });
      expect(read.counts).toEqual({
        failed: all.filter((r) => r.state === 'failed').length,
        needs_reauth: all.filter((r) => r.state === 'needs_reauth').length,
      });
      expect(read.total).toBe(selected.length);
      expect(read.pairs.map((p) => `${p.portal}|${p.code}`)).toEqual(
        selected.slice(0, 7).map((r) => `${r.portal}|${r.code}`),
      );
      for (const p of read.pairs) {
        const result = all.find((r) => r.portal === p.portal && r.code === p.code);
        if (!result) throw new Error(`${p.portal} ${p.code} is not a stored pair`);
        expect(p).toEqual(toAttentionRow(result, (await store.history(p.portal, p.code)).slice(0, 2)));
      }
    }
    expect((await readAttention(store, { limit: 3, historyLimit: 0 })).pairs[0]?.history).toEqual([]);

    // `failed` (CLI): every pair needing attention, in pair order; by portal and by code.
    const needsAttention = (r: PairResult) => r.state === 'failed' || r.state === 'needs_reauth';
    const rows = (results: PairResult[]) => results.map((r) => toAttentionRow(r, []));
    const noHistory = { history: false };
    expect(await readAllAttention(store, {}, noHistory)).toEqual(rows(all.filter(needsAttention)));
    expect(await readAllAttention(store, { code: 'echo' }, noHistory)).toEqual(
      rows(all.filter((r) => needsAttention(r) && r.code === 'echo')),
    );
    expect(await readAllAttention(store, { portal: 'portal-01.bitrix24.com' }, noHistory)).toEqual(
      rows(all.filter((r) => needsAttention(r) && r.portal === 'portal-01.bitrix24.com')),
    );
    // The data exercises what it should: every state present, and attention ties on updatedAt.
    expect(new Set(all.map((r) => r.state))).toEqual(new Set(PAIR_STATES));
    expect(new Set(attention.map((r) => r.updatedAt)).size).toBeLessThan(attention.length);
  });
});
