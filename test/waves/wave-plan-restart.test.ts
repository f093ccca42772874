import { afterEach, describe, expect, it } from 'vitest';
import { definitionHash } from '../../src/apps/definition-hash.js';
import { enqueueRollout } from '../../src/pipeline/enqueue-rollout.js';
import { pairJobId } from '../../src/pipeline/pair-job.js';
import { advanceWavePlan } from '../../src/waves/advance-wave-plan.js';
import { readWaveCounts } from '../../src/waves/read-wave-counts.js';
import { waveRolloutId } from '../../src/waves/wave-plan.js';
import { jsApp } from '../pipeline/support/pipeline-harness.js';
import {
  killWorkers,
  spawnWorker,
  untilStarted,
  type WorkerProcess,
} from '../pipeline/support/spawn-worker.js';
import { waitFor } from '../support/wait-for.js';
import { seeds, startWaveKit, type WaveKit, wavesOf } from './support/wave-kit.js';

let kit: WaveKit | undefined;
let processes: WorkerProcess[] = [];
afterEach(async () => {
  await killWorkers(processes);
  processes = [];
  await kit?.close();
  kit = undefined;
});

/** Every pair of the plan holds exactly one app on its portal, the one the store names. */
async function expectOneAppPerPair(k: WaveKit, domains: readonly string[], codes: readonly string[]) {
  for (const domain of domains) {
    for (const code of codes) {
      const result = await k.h.runtime.results.get(domain, code);
      expect(result?.state, `${domain} ${code}`).toBe('registered');
      const onPortal = k.h.sim.portal(domain).apps.filter((a) => a.code === code);
      expect(
        onPortal.map((a) => a.appId),
        `${domain} ${code}`,
      ).toEqual([result?.appId]);
    }
  }
}

describe('a restart mid-wave loses nothing and starts nothing twice', () => {
  it('a worker process killed mid-wave: another worker process finishes the plan, each app created once', async () => {
    const percents = [10, 50, 100];
    kit = await startWaveKit(seeds(30), { latencyMs: 40 });
    const apps = [jsApp('echo'), jsApp('help')];
    const victim = spawnWorker(kit.h.config, 5);
    processes = [victim];
    await untilStarted(victim);
    // The plan is made by the producer (as `rollout --waves` does); from then on only the workers advance it.
    const plan = await kit.createPlan(apps, percents);
    const [, wave2 = []] = wavesOf(30, percents);
    // Mid-wave 2: some of its pairs done, others not.
    await waitFor(
      async () => {
        const current = await kit?.deps.plans.get(plan.id);
        const counts = await readWaveCounts(kit?.deps as never, plan, 2);
        return current?.wave === 2 && counts.registered >= 4 && counts.pending > 0;
      },
      { timeoutMs: 30_000, intervalMs: 10, message: 'wave 2 half done' },
    );
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const registeredAtKill = kit.h.sim.stats().registrations;
    expect(registeredAtKill).toBeLessThan(60);

    const successor = spawnWorker(kit.h.config, 5);
    processes.push(successor);
    await untilStarted(successor);
    const done = await kit.untilState(plan.id, ['done'], 45_000);
    expect(done.wave).toBe(3);
    // 30 portals x 2 apps, each app created exactly once (a register in flight at the kill was sent again and
    // got the same app back: get-or-create), nothing of a wave queued or run twice.
    const stats = kit.h.sim.stats();
    expect(stats.registrations).toBe(60);
    expect(stats.duplicates).toBe(0);
    expect(stats.registerExisting).toBeLessThanOrEqual(5); // at most the victim's jobs in flight
    await expectOneAppPerPair(
      kit,
      seeds(30).map((s) => s.domain),
      ['echo', 'help'],
    );
    const sizes = [];
    for (const wave of [1, 2, 3]) sizes.push((await readWaveCounts(kit.deps, plan, wave)).registered);
    expect(sizes).toEqual([3 * 2, 12 * 2, 15 * 2]);
    expect(wave2).toHaveLength(12);
  }, 90_000);

  it('a wave whose queueing stopped half-way is finished by the next tick, with no job added twice', async () => {
    kit = await startWaveKit(seeds(10));
    const apps = [jsApp('echo'), jsApp('help')];
    // A plan made but its wave 1 only half queued: what a producer killed inside enqueueRollout leaves.
    for (const app of apps) await kit.deps.definitions.save(definitionHash(app), app);
    await kit.h.runtime.portals.importPortals(kit.h.portals());
    const waves = wavesOf(10, [60, 100]);
    const plan = await kit.deps.plans.create({
      source: 'test',
      apps: apps.map((app) => ({ code: app.CODE, defHash: definitionHash(app) })),
      percents: [60, 100],
      waves,
      haltFailures: 0.05,
      haltNeedsReauth: 0.2,
      pauseMs: 0,
      recreate: false,
      replace: false,
    });
    const wave1 = waves[0] ?? [];
    await enqueueRollout(
      { apps, portals: undefined, domains: wave1.slice(0, 3), rolloutId: waveRolloutId(plan.id, 1) },
      kit.h.runtime,
    );
    const queue = kit.h.runtime.queue;
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(6);
    expect((await kit.deps.plans.get(plan.id))?.enqueued).toBe(0);

    // The tick queues wave 1 again: the 6 queued pairs are already pending (no second job), the rest are added.
    const advanced = await advanceWavePlan(kit.deps, plan.id);
    expect(advanced).toMatchObject({ state: 'running', wave: 1, enqueued: 1 });
    const jobs = await queue.getJobs(['waiting', 'prioritized']);
    const ids = jobs.map((j) => j.id);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(ids.sort()).toEqual(wave1.flatMap((d) => ['echo', 'help'].map((c) => pairJobId(d, c))).sort());

    // A second tick (another controller) adds nothing.
    await advanceWavePlan(kit.deps, plan.id);
    expect(await queue.getJobCountByTypes('waiting', 'prioritized')).toBe(12);

    kit.h.startWorker();
    kit.startController();
    await kit.untilState(plan.id, ['done']);
    expect(kit.h.sim.stats().registrations).toBe(20);
    expect(kit.h.sim.stats().registerExisting).toBe(0);
    await expectOneAppPerPair(
      kit,
      seeds(10).map((s) => s.domain),
      ['echo', 'help'],
    );
  });

  it('two controllers ticking one plan at once advance it once per step', async () => {
    kit = await startWaveKit(seeds(12));
    kit.h.startWorker();
    kit.startController();
    kit.startController();
    kit.startController();
    const plan = await kit.createPlan([jsApp('echo')], [25, 50, 75, 100]);
    const done = await kit.untilState(plan.id, ['done']);
    // Create (version 1), then for each of 4 waves: queued, settled -> next (3 times) or done: 8 transitions.
    expect(done.version).toBe(1 + 4 + 4);
    expect(kit.h.sim.stats().registrations).toBe(12);
  });
});
