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

describe('retry endpoints (real Redis + simulator)', () => {
  it('re-queues one failed pair, then all failed pairs, and says plainly when there is nothing to retry', async () => {
    harness = await startHarness({ portals: [{ domain: 'good.sim.test' }, { domain: 'bad.sim.test' }] });
    const h = harness;
    h.startWorker();
    const entries = h.portals();
    const wrong = entries.map((p) =>
      p.domain === 'bad.sim.test' ? { ...p, botId: (p.botId ?? 0) + 1000 } : p,
    );
    const summary = await h.rollout([jsApp('echo'), jsApp('help')], wrong);
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 2, failed: 2 });
    app = await buildApi(h.runtime, { host: '127.0.0.1', token: undefined });
    const api = app;
    const post = (url: string, payload?: object) =>
      api.inject({ method: 'POST', url, ...(payload ? { payload } : {}) });

    // The operator fixes the botId (re-import of the portal), then retries one pair.
    await h.runtime.portals.importPortals(entries.filter((p) => p.domain === 'bad.sim.test'));
    const one = await post('/api/pairs/bad.sim.test/echo/retry');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      retried: 1,
      pair: { portal: 'bad.sim.test', code: 'echo', state: 'pending', attempts: 0 },
    });
    await h.settle(summary.pairs);
    expect(await h.runtime.results.get('bad.sim.test', 'echo')).toMatchObject({ state: 'registered' });
    expect(await h.runtime.results.get('bad.sim.test', 'help')).toMatchObject({ state: 'failed' });

    const notFailed = await post('/api/pairs/bad.sim.test/echo/retry');
    expect(notFailed.statusCode).toBe(409);
    expect(notFailed.json()).toMatchObject({ error: 'not_failed', pair: { state: 'registered' } });
    expect((notFailed.json() as { message: string }).message).toContain('registered, not failed');
    expect((await post('/api/pairs/nowhere.sim.test/echo/retry')).statusCode).toBe(404);

    const all = await post('/api/retry-failed', {});
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ retried: 1, pairs: [{ portal: 'bad.sim.test', code: 'help' }] });
    expect(await h.settle(summary.pairs)).toMatchObject({ registered: 4, failed: 0 });
    expect(h.sim.stats().duplicates).toBe(0);

    const nothing = await post('/api/retry-failed', { code: 'help' });
    expect(nothing.statusCode).toBe(200);
    expect(nothing.json()).toEqual({
      retried: 0,
      pairs: [],
      message: 'no failed pair for code help to retry',
    });
  });

  it('limits a bulk retry to one portal or one app', async () => {
    harness = await startHarness({ portals: [{ domain: 'one.sim.test' }, { domain: 'two.sim.test' }] });
    const h = harness;
    h.startWorker();
    const wrong = h.portals().map((p) => ({ ...p, botId: (p.botId ?? 0) + 1000 }));
    const summary = await h.rollout([jsApp('echo'), jsApp('help')], wrong);
    expect(await h.settle(summary.pairs)).toMatchObject({ failed: 4 });
    app = await buildApi(h.runtime, { host: '127.0.0.1', token: undefined });
    const res = await app.inject({
      method: 'POST',
      url: '/api/retry-failed',
      payload: { portal: 'TWO.sim.test', code: 'help' },
    });
    expect(res.json()).toEqual({ retried: 1, pairs: [{ portal: 'two.sim.test', code: 'help' }] });
    // The pair ran again against the still-wrong botId and failed again on its first attempt.
    await h.settle(summary.pairs);
    expect(await h.runtime.results.get('two.sim.test', 'help')).toMatchObject({
      state: 'failed',
      attempts: 1,
    });
    expect(h.sim.portal('two.sim.test').calls).toBe(3);
  });
});
