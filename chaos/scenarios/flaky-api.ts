import { setInterval as every } from 'node:timers/promises';
import { createSeededRandom } from '../../src/simulator/seeded-random.js';
import { baseApps } from '../chaos-apps.js';
import { CHAOS_REQUEST_TIMEOUT_MS } from '../chaos-config.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { startChaosLab } from '../start-chaos-lab.js';

/** Every `BURST_EVERY_MS`, this share of the portals answers only QUERY_LIMIT_EXCEEDED for `BURST_MS`. */
const BURST_EVERY_MS = 1_000;
const BURST_MS = 400;
const BURST_SHARE = 0.1;
/** Bursts stop after this many: each one slows the portals it hits down (adaptive back-off), so cap the tail. */
const MAX_BURSTS = 10;

/**
 * The portals misbehave on every REST call (OAuth is left alone): 20% HTTP 500, 5% connections dropped after the
 * work was done (the app exists, the answer is lost), 3% answered after the client's timeout (the work was done
 * too), and ten 400 ms bursts of QUERY_LIMIT_EXCEEDED, one a second, each on a random tenth of the portals (other
 * apps filling their bucket).
 * Dropped and late answers are the hard case: the work was done but the worker never learns it. A retried
 * register gets the app the lost call made (get-or-create: a re-register, never a second app), and a retried
 * update applies the same fields again. Every pair must end registered, its portal holding exactly the
 * definition; the run must have re-registered at least once, else the safe-retry path went untested.
 */
export const flakyApi: ChaosScenario = {
  name: 'flaky-api',
  fault: '20% 500 + 5% dropped + 3% late + 503 bursts',
  async run({ seed, portals, log }) {
    const random = createSeededRandom(seed ^ 0xf1a7);
    const lab = await startChaosLab({
      name: 'flaky-api',
      sim: {
        portals,
        webhookShare: 0.1,
        expiredShare: 0.1,
        latencyMs: 20,
        seed,
        faults: {
          http500Rate: 0.2,
          dropAfterWorkRate: 0.05,
          slowRate: 0.03,
          slowMs: CHAOS_REQUEST_TIMEOUT_MS + 700,
        },
      },
    });
    const problems: string[] = [];
    const bursts = new AbortController();
    try {
      const domains = lab.portals().map((p) => p.domain);
      let burstCount = 0;
      const burstLoop = (async () => {
        for await (const _ of every(BURST_EVERY_MS, undefined, { signal: bursts.signal })) {
          if (burstCount >= MAX_BURSTS) break;
          const hit = domains.filter(() => random() < BURST_SHARE);
          for (const domain of hit) lab.sim.control.setFaults(domain, { queryLimitRate: 1 });
          burstCount++;
          setTimeout(() => {
            for (const domain of hit) lab.sim.control.setFaults(domain, {});
          }, BURST_MS);
        }
      })().catch((error: unknown) => {
        if (!bursts.signal.aborted) problems.push(`burst loop: ${String(error)}`);
      });
      lab.startWorker(25);
      lab.startWorker(25);
      const apps = baseApps();
      const summary = await lab.rollout(apps);
      const settled = await lab.waitSettled(summary.pairs, 90_000);
      bursts.abort();
      await burstLoop;
      const check = await collectCheck(lab, allRegistered(domains, apps, lab.config.hashSecret));
      const { injected, registerExisting, updates } = lab.sim.stats();
      if (settled.leftoverJobs > 0)
        problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
      for (const [fault, count] of Object.entries({
        http500: injected.http500,
        dropped: injected.dropped,
        late: injected.slow,
        queryLimit: injected.queryLimit,
      })) {
        if (count === 0) problems.push(`no ${fault} fault was injected: the run proves nothing about it`);
      }
      if (registerExisting === 0)
        problems.push(
          'no register was retried after a lost answer: the run proves nothing about re-registers',
        );
      log(`  ${burstCount} QUERY_LIMIT_EXCEEDED bursts`);
      return {
        check,
        problems,
        dir: lab.dir,
        facts: {
          http500: injected.http500,
          dropped: injected.dropped,
          late: injected.slow,
          queryLimitExceeded: injected.queryLimit,
          updates,
        },
      };
    } finally {
      bursts.abort();
      await lab.close({ keepDir: true });
    }
  },
};
