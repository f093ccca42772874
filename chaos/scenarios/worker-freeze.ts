import { setTimeout as delay } from 'node:timers/promises';
import { createSeededRandom } from '../../src/simulator/seeded-random.js';
import { waitFor } from '../../test/support/wait-for.js';
import { baseApps } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { startChaosLab } from '../start-chaos-lab.js';

/**
 * A worker process is frozen (SIGSTOP, like a long GC pause or a suspended VM) for longer than its job locks
 * last, then resumed (SIGCONT). Its jobs are taken over by the other workers while its own calls are still in
 * flight, so the same pair is processed twice at once: the second register gets the app the first one made
 * (get-or-create: a re-register), and the frozen worker then finishes its call and records the same APP_ID.
 * Whichever writes last, the pair must end registered with its portal holding exactly the definition.
 */
export const workerFreeze: ChaosScenario = {
  name: 'worker-freeze',
  fault: 'worker frozen past its job lock (SIGSTOP)',
  async run({ seed, portals, log }) {
    const random = createSeededRandom(seed ^ 0xf2ee);
    const lab = await startChaosLab({
      name: 'worker-freeze',
      sim: { portals, webhookShare: 0.2, latencyMs: 100, seed },
    });
    const problems: string[] = [];
    try {
      await Promise.all([lab.spawnWorker(8), lab.spawnWorker(8), lab.spawnWorker(8)]);
      const apps = baseApps();
      const total = portals * apps.length;
      const summary = await lab.rollout(apps);
      const at = Math.floor(total * (0.2 + random() * 0.4));
      await waitFor(() => lab.sim.stats().registrations >= at, {
        message: `${at} registrations`,
        timeoutMs: 60_000,
        intervalMs: 5,
      });
      const workers = lab.workerProcesses();
      const victim = workers[Math.floor(random() * workers.length)];
      if (!victim) throw new Error('no worker process to freeze');
      // Past the lock (lockDuration) and the next stalled-job check (stalledInterval) of the others.
      const frozenMs = lab.config.worker.lockDurationMs + lab.config.worker.stalledIntervalMs + 1_000;
      victim.child.kill('SIGSTOP');
      log(
        `  froze worker ${victim.pid} at ${lab.sim.stats().registrations}/${total} registrations for ${frozenMs} ms`,
      );
      await delay(frozenMs);
      victim.child.kill('SIGCONT');
      const settled = await lab.waitSettled(summary.pairs, 90_000);
      const check = await collectCheck(
        lab,
        allRegistered(
          lab.portals().map((p) => p.domain),
          apps,
          lab.config.hashSecret,
        ),
      );
      if (settled.leftoverJobs > 0)
        problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
      if (!victim.alive()) problems.push(`the frozen worker ${victim.pid} did not survive being resumed`);
      return {
        check,
        problems,
        dir: lab.dir,
        facts: {
          frozenMs,
          registrations: lab.sim.stats().registrations,
          updates: lab.sim.stats().updates,
        },
      };
    } finally {
      await lab.close({ keepDir: true });
    }
  },
};
