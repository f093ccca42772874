import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { type Harness, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';

let harness: Harness | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await harness?.close();
  harness = undefined;
});

describe('plans through the API (real Redis + simulator)', () => {
  it('computes a plan from the stored portals and definitions, pages its pairs, refuses it once stale, applies a fresh one', async () => {
    harness = await startHarness({ portals: 3, seed: 41 });
    const h = harness;
    // The last rollout's definitions are stored; no worker yet: the pairs stay pending (planned: register).
    const queued = await h.rollout([jsApp('echo'), jsApp('help')]);
    app = await buildApi(h.runtime, { host: '127.0.0.1', token: undefined });
    const api = app;

    const made = await api.inject({ method: 'POST', url: '/api/plans', payload: {} });
    expect(made.statusCode, made.body).toBe(201);
    const plan = made.json() as { id: string; summary: { pairs: number; totals: Record<string, number> } };
    expect(plan.summary).toMatchObject({ pairs: 6, totals: { register: 6 } });
    const page = await api.inject({ method: 'GET', url: `/api/plans/${plan.id}?offset=4&limit=10` });
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ id: plan.id, total: 6, offset: 4, summary: { pairs: 6 } });
    expect((page.json() as { pairs: unknown[] }).pairs).toHaveLength(2);
    expect((await api.inject({ method: 'GET', url: '/api/plans/p-unknown-1' })).statusCode).toBe(404);
    expect((await api.inject({ method: 'GET', url: '/api/plans/p-1?limit=0' })).statusCode).toBe(400);

    // The pairs settle meanwhile: the plan no longer holds.
    h.startWorker();
    await h.settle(queued.pairs);
    const stale = await api.inject({ method: 'POST', url: `/api/plans/${plan.id}/apply` });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: 'stale_plan' });
    expect((stale.json() as { message: string }).message).toContain('6 pair(s) would now get another action');

    const fresh = (
      await api.inject({ method: 'POST', url: '/api/plans', payload: { recreate: false } })
    ).json() as {
      id: string;
      summary: { totals: Record<string, number> };
    };
    expect(fresh.summary.totals).toMatchObject({ unchanged: 6 });
    const applied = await api.inject({ method: 'POST', url: `/api/plans/${fresh.id}/apply` });
    expect(applied.statusCode, applied.body).toBe(200);
    expect(applied.json()).toMatchObject({ pairs: 6, counts: { unchanged: 6, queued: 0 } });
  });

  it('refuses a cross-site POST like every other write (same-origin rule)', async () => {
    harness = await startHarness({ portals: 1, seed: 42 });
    app = await buildApi(harness.runtime, { host: '127.0.0.1', token: undefined });
    const crossSite = await app.inject({
      method: 'POST',
      url: '/api/plans',
      payload: {},
      headers: { origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.statusCode).toBe(403);
  });
});
