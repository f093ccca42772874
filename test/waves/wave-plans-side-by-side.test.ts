import { afterEach, describe, expect, it } from 'vitest';
import { controlWavePlan } from '../../src/waves/control-wave-plan.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { seeds, startWaveKit, type WaveKit } from './support/wave-kit.js';

let kit: WaveKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

describe('several wave plans at once', () => {
  it('plans of different apps run side by side, each on its own waves', async () => {
    kit = await startWaveKit(seeds(10));
    kit.h.startWorker();
    kit.startController();
    const a = await kit.createPlan([jsApp('echo')], [30, 100]);
    const b = await kit.createPlan([jsApp('help')], [50, 100]);
    await kit.untilState(a.id, ['done']);
    await kit.untilState(b.id, ['done']);
    expect(kit.h.sim.stats().registrations).toBe(20);
  });

  it('a plan whose wave would change apps another rollout is still applying halts, naming that rollout', async () => {
    kit = await startWaveKit(seeds(6));
    // No worker: plan A's wave 1 stays pending.
    const a = await kit.createPlan([jsApp('echo', '/help')], [100]);
    const b = await kit.createPlan([jsApp('echo', '/start')], [100]);
    expect(b.state).toBe('halted');
    expect(b.reason).toContain('wave 1 of 1 could not be queued: ');
    expect(b.reason).toContain(`rollout ${a.id}.w1`);
    expect(b.reason).toContain('is still applying another definition of echo to 6 portal(s)');

    // Once A has settled, resuming B queues its wave again: the later definition is applied.
    kit.h.startWorker();
    kit.startController();
    await kit.untilState(a.id, ['done']);
    expect((await controlWavePlan(kit.deps, b.id, 'resume')).plan).toMatchObject({
      state: 'running',
      wave: 1,
    });
    await kit.untilState(b.id, ['done']);
    expect(kit.h.sim.stats().updates).toBeGreaterThanOrEqual(12); // A's update after register, then B's change
    expect(kit.h.sim.stats().registrations).toBe(6);
    for (const { domain } of seeds(6)) {
      expect(kit.h.sim.portal(domain).apps.map((app) => app.fields.JS_PARAM)).toEqual(['/start']);
    }
  });
});
