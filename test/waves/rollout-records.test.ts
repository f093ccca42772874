import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/build-api.js';
import { enqueuePlainRollout } from '../../src/waves/enqueue-plain-rollout.js';
import { formatWavePlan, formatWavePlans } from '../../src/waves/format-wave-plan.js';
import type { WavePlan } from '../../src/waves/wave-plan.js';
import { readWavePlanView, readWavePlanViews } from '../../src/waves/wave-plan-view.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from './support/wave-kit.js';

/** docs/waves.md, "Where a plan is shown": every rollout id keeps its figures, whatever rolls out after it. */
let kit: WaveKit | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
  await kit?.close();
  kit = undefined;
});

const APPS = [jsApp('echo'), jsApp('help', '/help me')];

async function describeWavePlan(deps: WaveKit['deps'], plan: WavePlan): Promise<string[]> {
  return formatWavePlan(await readWavePlanView(deps, plan));
}

describe('rollout records', () => {
  it('a finished plan keeps its wave figures after a later rollout of the same apps to the same portals', async () => {
    const [wave1 = []] = wavesOf(10, [40, 100]);
    kit = await startWaveKit(seeds(10, [wave1[0] ?? '']));
    kit.h.startWorker();
    kit.startController();
    const plan = await kit.createPlan(APPS, [40, 100], { haltFailures: 0.25 });
    const done = await kit.untilState(plan.id, ['done']);
    const before = await describeWavePlan(kit.deps, done);
    expect(before.slice(1)).toEqual([
      '  wave 1/2 (4 portals): 8 pairs | registered 6 | failed 2 | needs_reauth 0 | pending 0',
      '  wave 2/2 (6 portals): 12 pairs | registered 12 | failed 0 | needs_reauth 0 | pending 0',
    ]);

    // The same apps again to every portal: nothing to call, but each pair now belongs to the later rollout.
    const later = await enqueuePlainRollout(
      { apps: APPS, portals: kit.h.portals(), source: 'again.json' },
      kit.deps,
    );
    expect(later.counts.unchanged).toBe(18);
    await kit.untilState(later.rolloutId, ['done']);
    expect(await describeWavePlan(kit.deps, done)).toEqual(before);
  });

  it('a plain rollout is a one-wave plan under its own id: status and GET /api/rollouts/:id show its figures', async () => {
    kit = await startWaveKit(seeds(6, ['portal-00002.sim.test']));
    kit.h.startWorker();
    kit.startController();
    const summary = await enqueuePlainRollout(
      { apps: APPS, portals: kit.h.portals(), source: 'apps.json' },
      kit.deps,
    );
    const id = summary.rolloutId;
    expect(summary.plan).toMatchObject({ id, single: true, state: 'running', waveSizes: [6] });
    await kit.untilState(id, ['done']);
    // Overwritten later by a rollout of the same apps: the first one's figures stay.
    const again = await enqueuePlainRollout(
      { apps: APPS, portals: kit.h.portals(), source: 'again.json' },
      kit.deps,
    );
    await kit.untilState(again.rolloutId, ['done']);

    app = await buildApi(kit.h.runtime, { host: '127.0.0.1', token: undefined });
    const answer = await app.inject({ method: 'GET', url: `/api/rollouts/${id}` });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({
      id,
      single: true,
      state: 'done',
      wave: 1,
      waves: 1,
      source: 'apps.json',
      apps: ['echo', 'help'],
      waveCounts: [
        {
          wave: 1,
          rolloutId: id,
          portals: 6,
          counts: { total: 12, registered: 10, failed: 2, needs_reauth: 0, pending: 0 },
        },
      ],
    });
    const text = formatWavePlans(await readWavePlanViews(kit.h.runtime));
    expect(text).toContain(`rollout ${id} (apps.json; all portals at once): done\n`);
    expect(text).toContain(
      '  wave 1/1 (6 portals): 12 pairs | registered 10 | failed 2 | needs_reauth 0 | pending 0',
    );
  });
});
