import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { definitionHash } from '../../src/apps/definition-hash.js';
import { enqueuePlainRollout } from '../../src/waves/enqueue-plain-rollout.js';
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

const V1 = jsApp('echo', '/v1');
const V2 = jsApp('echo', '/v2');

describe('stable definitions in the HTTP API', () => {
  it('GET /api/apps shows each CODE stable against in flight; POST /api/rollouts/:id/promote needs a done plan', async () => {
    const [wave1 = []] = wavesOf(10, [40, 100]);
    kit = await startWaveKit(seeds(10, [wave1[0] ?? '']));
    kit.h.startWorker();
    kit.startController();
    app = await buildApi(kit.h.runtime, { host: '127.0.0.1', token: undefined });
    const apps = async () => (await app?.inject({ method: 'GET', url: '/api/apps' }))?.json() as unknown;
    expect(await apps()).toEqual({ apps: [], installsFrom: 'stable', appsFile: null });

    const first = await enqueuePlainRollout(
      { apps: [V1], portals: kit.h.portals(), source: 'v1.json' },
      kit.deps,
    );
    await kit.untilState(first.rolloutId, ['done']);
    const plan = await kit.createPlan([V2], [40, 100]);
    await kit.untilState(plan.id, ['halted']);

    expect(await apps()).toMatchObject({
      apps: [
        {
          code: 'echo',
          stable: {
            defHash: definitionHash(V1),
            planId: first.rolloutId,
            source: 'v1.json',
            how: 'finished',
          },
          inFlight: [
            {
              planId: plan.id,
              single: false,
              defHash: definitionHash(V2),
              state: 'halted',
              wave: 1,
              waves: 2,
            },
          ],
        },
      ],
    });
    const refused = await app.inject({ method: 'POST', url: `/api/rollouts/${plan.id}/promote` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: 'wrong_state' });
    expect((refused.json() as { message: string }).message).toContain('is halted at wave 1 of 2, not done');
    expect((await app.inject({ method: 'POST', url: '/api/rollouts/w-none/promote' })).statusCode).toBe(404);

    await app.inject({ method: 'POST', url: `/api/rollouts/${plan.id}/abort` });
    const promoted = await app.inject({ method: 'POST', url: `/api/rollouts/${first.rolloutId}/promote` });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toMatchObject({
      plan: { id: first.rolloutId, state: 'done', stableFor: ['echo'] },
    });
    expect(await apps()).toMatchObject({
      apps: [{ code: 'echo', stable: { planId: first.rolloutId, how: 'promoted' }, inFlight: [] }],
    });
  });
});
