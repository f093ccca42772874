import { BASE_APP_CODES, chaosAppJson } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { spawnCli } from '../spawn-cli.js';
import { startChaosLab } from '../start-chaos-lab.js';

const SUMMARY = /rollout: (\d+) pairs: (\d+) queued, (\d+) already pending, (\d+) already registered/;

/**
 * Two `imbot-rollout rollout --apps --portals` processes with the same files, started at the same moment, while
 * workers already run (so jobs from the first producer are being processed — and OAuth tokens refreshed — while
 * the second is still importing). Each pair must be queued by exactly one of them, registered exactly once, and
 * no refreshed token may be overwritten by the second import (that would surface as invalid_grant).
 */
export const twoProducers: ChaosScenario = {
  name: 'two-producers',
  fault: 'two rollout processes at once',
  async run({ seed, portals }) {
    const lab = await startChaosLab({
      name: 'two-producers',
      sim: { portals, webhookShare: 0.1, expiredShare: 0.3, latencyMs: 20, seed },
    });
    const problems: string[] = [];
    try {
      const { appsFile, portalsFile } = lab.writeInputFiles(BASE_APP_CODES.map((a) => chaosAppJson(a.code, a.kind)));
      lab.startWorker(25);
      lab.startWorker(25);
      const producers = [0, 1].map(() =>
        spawnCli(['rollout', '--apps', appsFile, '--portals', portalsFile], lab.cliEnv()),
      );
      const exits = await Promise.all(producers.map((p) => p.exited));
      let queued = 0;
      const summaries: string[] = [];
      producers.forEach((producer, index) => {
        const exit = exits[index];
        const match = SUMMARY.exec(producer.stdout());
        if (exit?.code !== 0 || !match) {
          problems.push(`producer ${index + 1} exited ${exit?.code}: ${producer.output().slice(-500)}`);
          return;
        }
        queued += Number(match[2]);
        summaries.push(`${match[2]} queued/${match[3]} pending/${match[4]} registered`);
      });
      const domains = lab.portals().map((p) => p.domain);
      const expected = allRegistered(
        domains,
        BASE_APP_CODES.map((a) => a.code),
      );
      const settled = await lab.waitSettled(expected, 90_000);
      const check = await collectCheck(lab, expected);
      const stats = lab.sim.stats();
      if (settled.leftoverJobs > 0) problems.push(`${settled.leftoverJobs} jobs left in the queue`);
      if (queued !== expected.length)
        problems.push(`the producers queued ${queued} pairs together, expected each of ${expected.length} once`);
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
      await lab.close({ keepDir: true });
    }
  },
};
