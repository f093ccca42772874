import { pino } from 'pino';
import { enqueueRollout } from '../../src/pipeline/enqueue-rollout.js';
import { createRuntime } from '../../src/runtime/create-runtime.js';
import { minRefreshLockTtlMs } from '../../src/tokens/min-refresh-lock-ttl.js';
import { spawnCli } from '../../test/support/run-cli.js';
import { BASE_APP_CODES, chaosApp, chaosAppJson } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { startChaosLab } from '../start-chaos-lab.js';

/** The summary line of `imbot-rollout rollout` ("rollout <id>: N pairs: ..."). */
const SUMMARY =
  /rollout(?: \S+)?: (\d+) pairs: (\d+) queued, (\d+) already pending, (\d+) already registered/;

/**
 * Request and refresh timeout of this scenario. Two CLI processes starting (tsx) on a 2-core machine can
 * stall this process, which hosts the simulator and the workers, for a second: with the suite's 1 s timeouts
 * OAuth refresh answers are then lost, and the retry spends a used refresh token (invalid_grant: a known
 * limit, docs/reliability.md, "Not guaranteed"). That would fail the invalid_grant check below for another
 * reason than the one it is there for. This scenario injects no network fault, so it waits longer.
 */
const TIMEOUT_MS = 5_000;

/**
 * Producers racing each other while workers already run. First two producers on separate runtimes (separate
 * Redis connections) start the same rollout of one app in the same tick, so their commands interleave in Redis;
 * then, while those jobs are processed (and OAuth tokens refreshed), two `imbot-rollout rollout` processes start
 * at once with both apps and the same portals file. Each pair must be queued by exactly one of the four and end
 * registered, its portal holding one app with exactly the definition, and no re-import may overwrite a refreshed
 * token (that would surface as invalid_grant).
 */
export const twoProducers: ChaosScenario = {
  name: 'two-producers',
  fault: 'two producers at once (x2: in-process, CLI)',
  async run({ seed, portals }) {
    const lab = await startChaosLab({
      name: 'two-producers',
      sim: { portals, webhookShare: 0.1, expiredShare: 0.3, latencyMs: 20, seed },
      config: {
        request: { timeoutMs: TIMEOUT_MS, refreshTimeoutMs: TIMEOUT_MS },
        tokens: { refreshBeforeMs: 500, lockTtlMs: minRefreshLockTtlMs(TIMEOUT_MS) + 400 },
      },
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
        BASE_APP_CODES.map((a) => chaosApp(a.code, a.kind)),
        lab.config.hashSecret,
      );
      const settled = await lab.waitSettled(expected, 90_000);
      const check = await collectCheck(lab, expected);
      const stats = lab.sim.stats();
      if (settled.leftoverJobs > 0)
        problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
      if (queued !== expected.length)
        problems.push(
          `the producers queued ${queued} pairs together, expected each of ${expected.length} once`,
        );
      if (stats.invalidGrants > 0) problems.push(`${stats.invalidGrants} refresh(es) answered invalid_grant`);
      return {
        check,
        problems,
        dir: lab.dir,
        facts: {
          producers: summaries.join(' + '),
          refreshes: stats.refreshes,
          registrations: stats.registrations,
          updates: stats.updates,
        },
      };
    } finally {
      await second.close();
      await lab.close({ keepDir: true });
    }
  },
};
