import { createSeededRandom } from '../../src/simulator/seeded-random.js';
import { waitFor } from '../../test/support/wait-for.js';
import { baseApps } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { startChaosLab } from '../start-chaos-lab.js';

const WORKERS = 3;
const KILLS = 3;
/**
 * One pair per request (its register and update) and 150 ms per request: the rollout lasts several seconds, so
 * all three kills (each followed by a replacement that takes a second or two to start) land while pairs are still
 * being registered. With whole-portal batches at 40 ms the rollout could finish before the third kill.
 */
const BATCH = { enabled: true, maxCommands: 2, maxBytes: 1_048_576 };
const LATENCY_MS = 150;

/**
 * Three worker processes; three times, at a random point of the rollout, a random one is killed with SIGKILL
 * (no clean-up of any kind) and a replacement is started. Its jobs come back through BullMQ's stalled-job
 * check; a register it had in flight may have made the app: the next attempt registers again, the server
 * returns that same app (get-or-create: a re-register), and the update after it leaves the portal holding
 * exactly the definition. Portals use valid OAuth tokens and webhooks: a kill between the OAuth server's
 * answer and storing the new token pair loses the portal's single-use refresh token — a known limit, see
 * docs/reliability.md, "Not guaranteed".
 */
export const workerKills: ChaosScenario = {
  name: 'worker-kill',
  fault: `SIGKILL a worker process x${KILLS}`,
  async run({ seed, portals, log }) {
    const random = createSeededRandom(seed ^ 0x51ed);
    const lab = await startChaosLab({
      name: 'worker-kill',
      sim: { portals, webhookShare: 0.2, latencyMs: LATENCY_MS, seed },
      config: { batch: BATCH },
    });
    const problems: string[] = [];
    try {
      await Promise.all(Array.from({ length: WORKERS }, () => lab.spawnWorker(8)));
      const apps = baseApps();
      const total = portals * apps.length;
      // Kill moments: random points between 10% and 80% of the registrations, in order.
      const thresholds = Array.from({ length: KILLS }, () => Math.floor(total * (0.1 + random() * 0.7))).sort(
        (a, b) => a - b,
      );
      const summary = await lab.rollout(apps);
      const kills: string[] = [];
      const replacements: Promise<unknown>[] = [];
      for (const threshold of thresholds) {
        // Kill only started workers, and keep one running: replacements take a second or two to start.
        const running = () => lab.workerProcesses().filter((w) => w.alive());
        await waitFor(() => lab.sim.stats().registrations >= threshold && running().length >= 2, {
          message: `${threshold} registrations with two workers running`,
          timeoutMs: 60_000,
          intervalMs: 5,
        });
        const alive = running();
        const victim = alive[Math.floor(random() * alive.length)];
        if (!victim) throw new Error('no worker process left to kill');
        const at = lab.sim.stats().registrations;
        victim.child.kill('SIGKILL');
        const { signal } = await victim.exited;
        if (signal !== 'SIGKILL') problems.push(`worker ${victim.pid} ended with ${signal}, not SIGKILL`);
        if (at >= total) problems.push(`kill ${kills.length + 1} came after the last registration`);
        kills.push(`${at}/${total}`);
        log(`  killed worker ${victim.pid} at ${at}/${total} registrations`);
        replacements.push(
          lab.spawnWorker(8).catch((error: unknown) => problems.push(`replacement worker: ${String(error)}`)),
        );
      }
      await Promise.all(replacements);
      const settled = await lab.waitSettled(summary.pairs, 90_000);
      const check = await collectCheck(
        lab,
        allRegistered(
          lab.portals().map((p) => p.domain),
          apps,
          lab.config.hashSecret,
        ),
      );
      if (kills.length !== KILLS) problems.push(`only ${kills.length} of ${KILLS} kills happened`);
      if (settled.leftoverJobs > 0)
        problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
      return {
        check,
        problems,
        dir: lab.dir,
        facts: {
          kills: kills.join(' '),
          registrations: lab.sim.stats().registrations,
          updates: lab.sim.stats().updates,
          refreshes: lab.sim.stats().refreshes,
        },
      };
    } finally {
      await lab.close({ keepDir: true });
    }
  },
};
