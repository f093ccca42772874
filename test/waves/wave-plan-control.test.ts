import { afterEach, describe, expect, it } from 'vitest';
import { pairJobId } from '../../src/pipeline/pair-job.js';
import { advanceWavePlan } from '../../src/waves/advance-wave-plan.js';
import { controlWavePlan } from '../../src/waves/control-wave-plan.js';
import { readWaveCounts } from '../../src/waves/read-wave-counts.js';
import { UnknownWavePlanError, WavePlanStateError } from '../../src/waves/wave-plan-errors.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from './support/wave-kit.js';

let kit: WaveKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

describe('controlling a wave plan: abort, skip-wave, resume', () => {
  it('abort removes the queued jobs of the current wave, marks their pairs ROLLOUT_ABORTED and starts no further wave', async () => {
    kit = await startWaveKit(seeds(10));
    const [wave1 = []] = wavesOf(10, [50, 100]);
    // No worker yet: wave 1's jobs wait in the queue.
    const plan = await kit.createPlan([jsApp('echo'), jsApp('help')], [50, 100]);
    expect(await kit.h.runtime.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed')).toBe(10);

    const outcome = await controlWavePlan(kit.deps, plan.id, 'abort');
    expect(outcome.plan.state).toBe('aborted');
    expect(outcome.removedJobs).toBe(10);
    expect(outcome.leftRunning).toBe(0);
    expect(await kit.h.runtime.queue.getJobCountByTypes('waiting', 'prioritized', 'delayed')).toBe(0);
    const result = await kit.h.runtime.results.get(wave1[0] ?? '', 'echo');
    expect(result).toMatchObject({ state: 'failed', lastError: { code: 'ROLLOUT_ABORTED' } });
    expect(await readWaveCounts(kit.deps, plan, 1)).toMatchObject({ total: 10, failed: 10, pending: 0 });

    // A worker and a controller now find nothing to do: no call, no wave 2.
    kit.h.startWorker();
    await kit.startController().tick();
    expect(await advanceWavePlan(kit.deps, plan.id)).toMatchObject({ state: 'aborted', wave: 1 });
    expect(kit.h.sim.stats().calls).toBe(0);
    expect(await kit.deps.plans.activeIds()).toEqual([]);

    await expect(controlWavePlan(kit.deps, plan.id, 'abort')).rejects.toThrow(
      `wave plan ${plan.id} is aborted: nothing to abort`,
    );
    await expect(controlWavePlan(kit.deps, plan.id, 'resume')).rejects.toBeInstanceOf(WavePlanStateError);
  });

  it('skip-wave ends a pause and starts the next wave now; refused on the last wave, naming the state', async () => {
    kit = await startWaveKit(seeds(9));
    kit.h.startWorker();
    kit.startController();
    const plan = await kit.createPlan([jsApp('echo')], [34, 67, 100], { pauseMs: 3_600_000 });
    const pausing = await kit.untilState(plan.id, ['pausing']);
    expect(pausing.wave).toBe(1);
    expect(pausing.pauseUntil).toBeGreaterThan(Date.now() + 3_000_000);
    await expect(controlWavePlan(kit.deps, plan.id, 'resume')).rejects.toThrow(
      `wave plan ${plan.id} is pausing after wave 1 of 3, not halted`,
    );

    expect((await controlWavePlan(kit.deps, plan.id, 'skip-wave')).plan).toMatchObject({
      state: 'running',
      wave: 2,
    });
    const second = await waitForPausing(kit, plan.id, 2);
    expect(await readWaveCounts(kit.deps, second, 2)).toMatchObject({ total: 3, registered: 3 });
    await controlWavePlan(kit.deps, plan.id, 'skip-wave');
    const done = await kit.untilState(plan.id, ['done']);
    expect(done.wave).toBe(3);
    expect(kit.h.sim.stats().registrations).toBe(9);
    await expect(controlWavePlan(kit.deps, plan.id, 'skip-wave')).rejects.toThrow(
      `wave plan ${plan.id} is done: nothing to skip-wave`,
    );
  });

  it('skip-wave on a running wave starts the next one without waiting; the skipped wave still completes', async () => {
    kit = await startWaveKit(seeds(8));
    const plan = await kit.createPlan([jsApp('echo')], [50, 100]);
    await controlWavePlan(kit.deps, plan.id, 'skip-wave');
    const advanced = await advanceWavePlan(kit.deps, plan.id);
    expect(advanced).toMatchObject({ state: 'running', wave: 2, enqueued: 2 });
    // Both waves are queued at once.
    expect(await kit.h.runtime.queue.getJobCountByTypes('waiting', 'prioritized')).toBe(8);
    await expect(controlWavePlan(kit.deps, plan.id, 'skip-wave')).rejects.toThrow(
      `wave plan ${plan.id} is running wave 2 of 2: that is the last wave, there is no next wave to skip to`,
    );
    kit.h.startWorker();
    kit.startController();
    await kit.untilState(plan.id, ['done']);
    expect(kit.h.sim.stats().registrations).toBe(8);
  });

  it('names an unknown plan id', async () => {
    kit = await startWaveKit(seeds(2));
    await expect(controlWavePlan(kit.deps, 'w-nope', 'resume')).rejects.toBeInstanceOf(UnknownWavePlanError);
    await expect(controlWavePlan(kit.deps, 'w-nope', 'abort')).rejects.toThrow('no wave plan w-nope');
  });

  it('records each wave under its own rollout id with deterministic job ids', async () => {
    kit = await startWaveKit(seeds(4));
    const [wave1 = []] = wavesOf(4, [50, 100]);
    const plan = await kit.createPlan([jsApp('echo')], [50, 100]);
    const jobs = await kit.h.runtime.queue.getJobs(['waiting', 'prioritized']);
    expect(jobs.map((j) => j.id).sort()).toEqual(wave1.map((d) => pairJobId(d, 'echo')).sort());
    const result = await kit.h.runtime.results.get(wave1[0] ?? '', 'echo');
    expect(result?.rolloutId).toBe(`${plan.id}.w1`);
  });
});

async function waitForPausing(kit: WaveKit, id: string, wave: number) {
  return await waitFor(
    async () => {
      const plan = await kit.deps.plans.get(id);
      if (plan?.state !== 'pausing' || plan.wave !== wave)
        throw new Error(`plan is ${plan?.state} at ${plan?.wave}`);
      return plan;
    },
    { timeoutMs: 20_000, intervalMs: 50, message: `plan ${id} to pause after wave ${wave}` },
  );
}
