import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from './support/wave-kit.js';

let kit: WaveKit | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await kit?.close();
  kit = undefined;
});

const TOKEN = 'a-long-enough-test-token-0123456789';

describe('wave plans in the HTTP API', () => {
  it('lists a halted plan with its waves and reason, resumes it, and refuses a command the state does not allow', async () => {
    const [wave1 = []] = wavesOf(10, [40, 100]);
    kit = await startWaveKit(seeds(10, [wave1[0] ?? '']));
    kit.h.startWorker();
    kit.startController();
    const plan = await kit.createPlan([jsApp('echo')], [40, 100]);
    await kit.untilState(plan.id, ['halted']);
    app = await buildApi(kit.h.runtime, { host: '127.0.0.1', token: undefined });

    const list = await app.inject({ method: 'GET', url: '/api/rollouts' });
    expect(list.statusCode).toBe(200);
    const [listed] = (list.json() as { plans: Record<string, unknown>[] }).plans;
    expect(listed).toMatchObject({
      id: plan.id,
      state: 'halted',
      wave: 1,
      waves: 2,
      apps: ['echo'],
      reason: 'wave 1 of 2: 1 of 4 pairs failed (25%, above --halt-failures 5%)',
      failingTotal: 1,
      failing: [{ portal: wave1[0], code: 'echo', state: 'failed' }],
      waveCounts: [
        {
          wave: 1,
          rolloutId: `${plan.id}.w1`,
          portals: 4,
          counts: { total: 4, registered: 3, failed: 1, needs_reauth: 0, pending: 0, unregistered: 0 },
        },
        { wave: 2, rolloutId: `${plan.id}.w2`, portals: 6, counts: null },
      ],
      thresholds: { failed: 0.05, needs_reauth: 0.2 },
      commands: ['resume', 'skip-wave', 'abort'],
    });

    const one = await app.inject({ method: 'GET', url: `/api/rollouts/${plan.id}` });
    expect(one.json()).toMatchObject({ id: plan.id, state: 'halted' });
    expect((await app.inject({ method: 'GET', url: '/api/rollouts/w-none' })).statusCode).toBe(404);

    const resumed = await app.inject({ method: 'POST', url: `/api/rollouts/${plan.id}/resume` });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({ plan: { state: 'running', wave: 2 } });
    await kit.untilState(plan.id, ['done']);
    // Done, its definitions stable by themselves: no command applies any more.
    expect((await app.inject({ method: 'GET', url: `/api/rollouts/${plan.id}` })).json()).toMatchObject({
      state: 'done',
      stableFor: ['echo'],
      commands: [],
    });
    const again = await app.inject({ method: 'POST', url: `/api/rollouts/${plan.id}/abort` });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      error: 'wrong_state',
      message: `wave plan ${plan.id} is done: nothing to abort`,
    });
    expect((await app.inject({ method: 'POST', url: '/api/rollouts/w-none/resume' })).statusCode).toBe(404);

    // The dashboard carries the wave plans panel (filled by its script from /api/rollouts).
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.body).toContain('<section class="card" id="waves" aria-label="Wave plans" hidden>');
    expect(page.body).toContain("getJson('/api/rollouts')");
  });

  it('needs the token and refuses a cross-site POST, as the retry routes do', async () => {
    kit = await startWaveKit(seeds(2));
    const plan = await kit.createPlan([jsApp('echo')], [50, 100]);
    app = await buildApi(kit.h.runtime, { host: '127.0.0.1', token: TOKEN });
    expect((await app.inject({ method: 'GET', url: '/api/rollouts' })).statusCode).toBe(401);
    const crossSite = await app.inject({
      method: 'POST',
      url: `/api/rollouts/${plan.id}/abort`,
      headers: { authorization: `Bearer ${TOKEN}`, 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.statusCode).toBe(403);
    expect((await kit.deps.plans.get(plan.id))?.state).toBe('running');
    const ok = await app.inject({
      method: 'POST',
      url: `/api/rollouts/${plan.id}/abort`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ plan: { state: 'aborted' }, removedJobs: 1, leftRunning: 0 });
  });
});
