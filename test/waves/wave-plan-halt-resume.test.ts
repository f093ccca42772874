import { afterEach, describe, expect, it } from 'vitest';
import { controlWavePlan } from '../../src/waves/control-wave-plan.js';
import { readWaveCounts } from '../../src/waves/read-wave-counts.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from './support/wave-kit.js';

let kit: WaveKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

const PERCENTS = [20, 60, 100];

describe('a wave plan halts on a failing wave and goes on after --resume', () => {
  it('halts after wave 1 when its deleted portals put the failure rate above the threshold, queuing nothing of wave 2', async () => {
    const [wave1 = [], wave2 = [], wave3 = []] = wavesOf(20, PERCENTS);
    expect([wave1.length, wave2.length, wave3.length]).toEqual([4, 8, 8]);
    // One of wave 1's 4 portals is deleted: 25% of its pairs fail (PORTAL_DELETED), above 5%.
    const deleted = wave1[0] ?? '';
    kit = await startWaveKit(seeds(20, [deleted]));
    const apps = [jsApp('echo'), jsApp('help', '/help me')];
    kit.h.startWorker();
    kit.startController();
    const plan = await kit.createPlan(apps, PERCENTS);
    expect(plan.state).toBe('running');
    expect(plan.enqueued).toBe(1);

    const halted = await kit.untilState(plan.id, ['halted']);
    expect(halted.wave).toBe(1);
    expect(halted.reason).toBe('wave 1 of 3: 2 of 8 pairs failed (25%, above --halt-failures 5%)');
    expect(halted.failingTotal).toBe(2);
    expect(halted.failing.map((f) => `${f.portal} ${f.code} ${f.state}`).sort()).toEqual([
      `${deleted} echo failed`,
      `${deleted} help failed`,
    ]);
    expect(halted.failing.every((f) => f.error.startsWith('PORTAL_DELETED'))).toBe(true);
    // Halted: wave 2 was never queued, its portals were never called.
    expect(await readWaveCounts(kit.deps, plan, 2)).toMatchObject({ total: 0 });
    for (const domain of [...wave2, ...wave3]) expect(kit.h.sim.portal(domain).calls, domain).toBe(0);
    expect(await kit.deps.plans.activeIds()).toEqual([]);

    const resumed = await controlWavePlan(kit.deps, plan.id, 'resume');
    expect(resumed.plan).toMatchObject({ state: 'running', wave: 2 });
    const done = await kit.untilState(plan.id, ['done']);
    expect(done.wave).toBe(3);
    for (const domain of [...wave2, ...wave3]) {
      expect(
        kit.h.sim
          .portal(domain)
          .apps.map((a) => a.code)
          .sort(),
        domain,
      ).toEqual(['echo', 'help']);
    }
    expect(await readWaveCounts(kit.deps, plan, 2)).toMatchObject({ total: 16, registered: 16, pending: 0 });
    expect(kit.h.sim.stats().registrations).toBe((20 - 1) * 2);
  });

  it('checks the waves after a resumed one again: a later failing wave halts the plan once more', async () => {
    const [wave1 = [], wave2 = []] = wavesOf(20, PERCENTS);
    const deleted = [wave1[0] ?? '', wave2[0] ?? '', wave2[1] ?? ''];
    kit = await startWaveKit(seeds(20, deleted));
    kit.h.startWorker();
    kit.startController();
    const plan = await kit.createPlan([jsApp('echo')], PERCENTS);
    await kit.untilState(plan.id, ['halted']);
    await controlWavePlan(kit.deps, plan.id, 'resume');
    const again = await kit.untilState(plan.id, ['halted']);
    expect(again.wave).toBe(2);
    expect(again.reason).toBe('wave 2 of 3: 2 of 8 pairs failed (25%, above --halt-failures 5%)');
  });

  it('halts on the share of pairs needing re-authorisation (--halt-needs-reauth)', async () => {
    const [wave1 = []] = wavesOf(10, [40, 100]);
    kit = await startWaveKit(seeds(10));
    const revoked = wave1[0] ?? '';
    kit.h.sim.control.revokeRefreshToken(revoked);
    kit.h.sim.control.expireAccessToken(revoked);
    kit.h.startWorker();
    kit.startController();
    const plan = await kit.createPlan([jsApp('echo')], [40, 100], { haltFailures: 1, haltNeedsReauth: 0.2 });
    const halted = await kit.untilState(plan.id, ['halted']);
    expect(halted.reason).toBe(
      'wave 1 of 2: 1 of 4 pairs need re-authorisation (25%, above --halt-needs-reauth 20%)',
    );
    expect(halted.failing).toEqual([expect.objectContaining({ portal: revoked, state: 'needs_reauth' })]);
  });

  it('passes a wave whose failure rate is at the threshold, and ends done', async () => {
    const [wave1 = []] = wavesOf(10, [40, 100]);
    kit = await startWaveKit(seeds(10, [wave1[0] ?? '']));
    kit.h.startWorker();
    kit.startController();
    const plan = await kit.createPlan([jsApp('echo')], [40, 100], { haltFailures: 0.25 });
    const done = await kit.untilState(plan.id, ['done']);
    expect(done.reason).toBeUndefined();
    expect(await readWaveCounts(kit.deps, plan, 1)).toMatchObject({ total: 4, failed: 1, registered: 3 });
    expect(await readWaveCounts(kit.deps, plan, 2)).toMatchObject({ total: 6, registered: 6 });
  });
});
