import { afterEach, describe, expect, it } from 'vitest';
import type { AppDefinition } from '../../src/apps/app-definition-schema.js';
import { definitionHash } from '../../src/apps/definition-hash.js';
import { readStableApps } from '../../src/store/read-stable-apps.js';
import { controlWavePlan, promoteWavePlan } from '../../src/waves/control-wave-plan.js';
import { createWavePlan } from '../../src/waves/create-wave-plan.js';
import { enqueuePlainRollout } from '../../src/waves/enqueue-plain-rollout.js';
import { startWaveController, type WaveController } from '../../src/waves/start-wave-controller.js';
import { waveDeps } from '../../src/waves/wave-deps.js';
import type { WavePlan } from '../../src/waves/wave-plan.js';
import { WavePlanStateError } from '../../src/waves/wave-plan-errors.js';
import { type IntakeHarness, startIntakeHarness } from '../intake/support/intake-harness.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';
import { seeds, wavesOf } from './support/wave-kit.js';

/** docs/waves.md, "Stable definitions": what a portal that installs the application gets. */
let h: IntakeHarness | undefined;
let controller: WaveController | undefined;
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
  await h?.closeAll();
  h = undefined;
});

const V1 = jsApp('echo', '/v1');
const V2 = jsApp('echo', '/v2');
const FRESH = 'fresh.sim.test';
const PERCENTS = [40, 100];

/** 10 portals in the rollouts and one more that adds itself later by an install event. */
async function start(
  deleted: string[] = [],
): Promise<{ h: IntakeHarness; deps: ReturnType<typeof waveDeps> }> {
  h = await startIntakeHarness({ portals: [...seeds(10, deleted), { domain: FRESH }] });
  const deps = waveDeps(h.runtime);
  h.startWorker();
  controller = startWaveController(deps, { intervalMs: 100 });
  return { h, deps };
}

const rolledOut = (harness: IntakeHarness) => harness.portals().filter((p) => p.domain !== FRESH);

async function untilState(
  deps: ReturnType<typeof waveDeps>,
  id: string,
  states: readonly WavePlan['state'][],
): Promise<WavePlan> {
  return await waitFor(
    async () => {
      const plan = await deps.plans.get(id);
      if (!plan || !states.includes(plan.state)) throw new Error(`plan is ${plan?.state}`);
      return plan;
    },
    { timeoutMs: 25_000, intervalMs: 50, message: `plan ${id} to be ${states.join(' or ')}` },
  );
}

async function plainRollout(
  deps: ReturnType<typeof waveDeps>,
  harness: IntakeHarness,
  apps: AppDefinition[],
) {
  const summary = await enqueuePlainRollout({ apps, portals: rolledOut(harness), source: 'v.json' }, deps);
  if (!summary.plan) throw new Error('a plain rollout with apps is recorded as a plan');
  return await untilState(deps, summary.plan.id, ['done']);
}

async function wavePlan(deps: ReturnType<typeof waveDeps>, harness: IntakeHarness, apps: AppDefinition[]) {
  const { plan } = await createWavePlan(
    {
      apps,
      portals: rolledOut(harness),
      percents: PERCENTS,
      haltFailures: 0.05,
      haltNeedsReauth: 0.2,
      pauseMs: 0,
      source: 'v2.json',
    },
    deps,
  );
  return plan;
}

/** Sends an install event for FRESH and waits until its echo app is registered; returns the JS_PARAM it holds. */
async function installFresh(harness: IntakeHarness): Promise<{ apps: unknown; param: string | undefined }> {
  const delivered = await harness.sim.sendAppEvent(harness.eventsUrl, FRESH, 'install');
  expect(delivered.status).toBe(200);
  await waitFor(
    async () => expect((await harness.runtime.results.get(FRESH, 'echo'))?.state).toBe('registered'),
    { timeoutMs: 20_000, message: 'the installed portal to get its app' },
  );
  const held = harness.sim.portal(FRESH).apps.find((app) => app.code === 'echo');
  return { apps: (delivered.body as { apps?: unknown }).apps, param: held?.fields.JS_PARAM };
}

describe('new portals get the stable definitions, not a plan in flight', () => {
  it('an install while wave 1 of v2 is halted gets v1, the stable definition', async () => {
    const [wave1 = []] = wavesOf(10, PERCENTS);
    const { h: harness, deps } = await start();
    const first = await plainRollout(deps, harness, [V1]);
    expect((await readStableApps(harness.runtime)).map((s) => [s.code, s.defHash, s.planId, s.how])).toEqual([
      ['echo', definitionHash(V1), first.id, 'finished'],
    ]);

    // v2 in waves; a deleted portal in wave 1 halts it there.
    harness.sim.control.deletePortal(wave1[0] ?? '');
    const plan = await wavePlan(deps, harness, [V2]);
    const halted = await untilState(deps, plan.id, ['halted']);
    expect(halted.wave).toBe(1);
    expect(harness.sim.portal(wave1[1] ?? '').apps.find((a) => a.code === 'echo')?.fields.JS_PARAM).toBe(
      '/v2',
    );

    const installed = await installFresh(harness);
    expect(installed).toEqual({ apps: ['echo'], param: '/v1' });
    // The stable definition is still v1's; the halted plan is what is in flight.
    expect((await readStableApps(harness.runtime)).map((s) => s.planId)).toEqual([first.id]);
  });

  it('a plan that ends done (here after its halt was accepted with --resume) makes its definitions stable', async () => {
    const [wave1 = []] = wavesOf(10, PERCENTS);
    const { h: harness, deps } = await start([wave1[0] ?? '']);
    await plainRollout(deps, harness, [V1]);
    const plan = await wavePlan(deps, harness, [V2]);
    await untilState(deps, plan.id, ['halted']);
    expect((await readStableApps(harness.runtime)).map((s) => s.defHash)).toEqual([definitionHash(V1)]);
    await controlWavePlan(deps, plan.id, 'resume');
    await untilState(deps, plan.id, ['done']);
    expect((await readStableApps(harness.runtime)).map((s) => [s.defHash, s.planId, s.how])).toEqual([
      [definitionHash(V2), plan.id, 'finished'],
    ]);
    expect(await installFresh(harness)).toEqual({ apps: ['echo'], param: '/v2' });
  });

  it('--promote makes an earlier finished rollout stable again, and refuses a plan that is not done, naming its state', async () => {
    const [wave1 = []] = wavesOf(10, PERCENTS);
    const { h: harness, deps } = await start([wave1[0] ?? '']);
    const v1 = await plainRollout(deps, harness, [V1]);
    const v2 = await plainRollout(deps, harness, [V2]);
    expect((await readStableApps(harness.runtime)).map((s) => s.planId)).toEqual([v2.id]);

    const promoted = await promoteWavePlan(deps, v1.id);
    expect(promoted.state).toBe('done');
    expect((await readStableApps(harness.runtime)).map((s) => [s.defHash, s.planId, s.how])).toEqual([
      [definitionHash(V1), v1.id, 'promoted'],
    ]);

    const plan = await wavePlan(deps, harness, [jsApp('echo', '/v3')]);
    await untilState(deps, plan.id, ['halted']);
    const refused = await promoteWavePlan(deps, plan.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WavePlanStateError);
    expect((refused as Error).message).toBe(
      `wave plan ${plan.id} is halted at wave 1 of 2, not done: --promote makes a finished plan stable ` +
        '(a plan that ends done is made stable by itself)',
    );
    expect(await installFresh(harness)).toEqual({ apps: ['echo'], param: '/v1' });
  });
});
