import { pino } from 'pino';
import { enqueueRollout } from '../../src/pipeline/enqueue-rollout.js';
import { createRuntime } from '../../src/runtime/create-runtime.js';
import { BASE_APP_CODES, chaosApp, chaosAppJson } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { spawnCli } from '../spawn-cli.js';
import { startChaosLab } from '../start-chaos-lab.js';

const SUMMARY = /rollout: (\d+) pairs: (\d+) queued, (\d+) already pending, (\d+) already registered/;

/**
 * Producers racing each other while workers already run. First two producers on separate runtimes (separate
 * Redis connections) start the same rollout of one app in the same tick, so their commands interleave in Redis;
 * then, while those jobs are processed (and OAuth tokens refreshed), two `imbot-rollout rollout` processes start
 * at once with both apps and the same portals file. Each pair must be queued by exactly one of the four, be
 * registered exactly once, and no re-import may overwrite a refreshed token (that would surface as invalid_grant).
 */
export const twoProducers: ChaosScenario = {
  name: 'two-producers',
  fault: 'two producers at once (x2: in-process, CLI)',
  async run({ seed, portals }) {
    const lab = await startChaosLab({
      name: 'two-producers',
      sim: { portals, webhookShare: 0.1, expiredShare: 0.3, latencyMs: 20, seed },
    });
    const second = createRuntime({ config: lab.config, logger: pino({ level: 'silent' }) });
    const problems: string[] = [];
    try {
      lab.startWorker(25);
      lab.startWorker(25);
      const entries = lab.portals();
      const [first] = BASE_APP_CODES;
      const inProcess = await Promise.all(
        [lab.runtime, second].map((runtime) =>
          enqueueRollout({ apps: [chaosApp(first.code, first.kind)], portals: entries }, runtime),
        ),
      );
      const { appsFile, portalsFile } = lab.writeInputFiles(
        BASE_APP_CODES.map((a) => chaosAppJson(a.code, a.kind)),
      );
      const producers = [0, 1].map(() =>
        spawnCli(['rollout', '--apps', appsFile, '--portals', portalsFile], lab.cliEnv()),
      );
      const stop = setTimeout(() => {
        for (const p of producers) p.child.kill('SIGKILL');
      }, 60_000);
      const exits = await Promise.all(producers.map((p) => p.exited));
      clearTimeout(stop);

      let queued = 0;
      const summaries: string[] = [];
      for (const summary of inProcess) {
        queued += summary.counts.queued;
        summaries.push(`${summary.counts.queued} queued/${summary.counts.already_pending} pending`);
      }
      producers.forEach((producer, index) => {
        const match = SUMMARY.exec(producer.stdout());
        if (exits[index]?.code !== 0 || !match) {
          problems.push(
            `rollout process ${index + 1} exited ${exits[index]?.code}: ${producer.output().slice(-500)}`,
          );
          return;
        }
        queued += Number(match[2]);
        summaries.push(`${match[2]} queued/${match[3]} pending/${match[4]} registered`);
      });
      const expected = allRegistered(
        entries.map((p) => p.domain),
        BASE_APP_CODES.map((a) => a.code),
      );
      const settled = await lab.waitSettled(expected, 90_000);
      const check = await collectCheck(lab, expected);
      const stats = lab.sim.stats();
      if (settled.leftoverJobs > 0) problems.push(`${settled.leftoverJobs} jobs left in the queue`);
      if (queued !== expected.length)
        problems.push(
          `the producers queued ${queued} pairs together, expected each of ${expected.length} once`,
        );
      if (stats.invalidGrants > 0) problems.push(`${stats.invalidGrants} refresh(es) answered invalid_grant`);
      if (stats.duplicates > 0) problems.push(`${stats.duplicates} duplicate register(s) without any fault`);
      return {
        check,
        problems,
        dir: lab.dir,
        facts: {
          producers: summaries.join(' + '),
          refreshes: stats.refreshes,
          registerCalls: stats.registrations,
        },
      };
    } finally {
      await second.close();
      await lab.close({ keepDir: true });
    }
  },
};
