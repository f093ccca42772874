import { BASE_APP_CODES, baseApps } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { startChaosLab } from '../start-chaos-lab.js';
import { waitFor } from '../wait-for.js';

/**
 * Redis (AOF on, `appendfsync always`: see start-chaos-lab.ts) is killed with SIGKILL and started again on the same
 * port and data dir, twice: once while a second producer run is enqueueing, once mid-processing. Two worker
 * processes and the producer in this process keep their connections (ioredis reconnects; commands wait for it)
 * and carry on by themselves. Commands in flight at the kill are sent again after the reconnect (ioredis): some
 * run twice, which the scripts must survive (a second `beginRegister` only over-reports an ambiguous attempt).
 */
export const redisRestart: ChaosScenario = {
  name: 'redis-restart',
  fault: 'Redis killed + restarted x2 (AOF always)',
  async run({ seed, portals, log }) {
    const lab = await startChaosLab({
      name: 'redis-restart',
      sim: { portals, webhookShare: 0.1, expiredShare: 0.2, latencyMs: 40, seed },
    });
    const problems: string[] = [];
    try {
      await Promise.all([lab.spawnWorker(10), lab.spawnWorker(10)]);
      const apps = baseApps();
      const all = lab.portals();
      const firstHalf = all.slice(0, Math.floor(all.length / 2));
      const secondHalf = all.slice(firstHalf.length);
      const first = await lab.rollout(apps, firstHalf);

      // Restart 1: while the second producer run enqueues (its commands wait for the reconnect).
      await waitFor(() => lab.sim.stats().registrations >= first.pairs.length * 0.3, '30% of the first half');
      const restarts: string[] = [];
      const restart = async () => {
        const at = lab.sim.stats().registrations;
        // Registered pairs only grow: fewer after the restart means Redis lost writes it had acknowledged.
        const before = (await lab.runtime.results.countsByState()).registered;
        const t0 = performance.now();
        await lab.restartRedis();
        const downMs = Math.round(performance.now() - t0);
        const after = (await lab.runtime.results.countsByState()).registered;
        if (after < before)
          problems.push(
            `Redis lost acknowledged writes: ${before} pairs registered before the restart, ${after} after`,
          );
        restarts.push(`at ${at} registrations, down ${downMs} ms`);
        log(`  redis restarted at ${at} registrations (down ${downMs} ms)`);
      };
      let producerEnd = 0;
      let restartEnd = 0;
      const [second] = await Promise.all([
        lab.rollout(apps, secondHalf).finally(() => {
          producerEnd = performance.now();
        }),
        restart().finally(() => {
          restartEnd = performance.now();
        }),
      ]);
      // The producer must still have been at work when Redis came back, else the restart missed it.
      const producerWaited = producerEnd > restartEnd;
      if (!producerWaited) problems.push('the second producer run finished before Redis went down');

      // Restart 2: mid-processing.
      const total = first.pairs.length + second.pairs.length;
      await waitFor(() => lab.sim.stats().registrations >= total * 0.6, '60% of the registrations');
      await restart();

      const pairs = [...first.pairs, ...second.pairs];
      const settled = await lab.waitSettled(pairs, 90_000);
      const check = await collectCheck(
        lab,
        allRegistered(
          all.map((p) => p.domain),
          BASE_APP_CODES.map((a) => a.code),
        ),
      );
      if (settled.leftoverJobs > 0) problems.push(`${settled.leftoverJobs} jobs left in the queue`);
      const alive = lab.workerProcesses().filter((w) => w.alive()).length;
      if (alive !== 2) problems.push(`${2 - alive} worker process(es) died across the restarts`);
      const stats = lab.sim.stats();
      if (stats.invalidGrants > 0) problems.push(`${stats.invalidGrants} refresh(es) answered invalid_grant`);
      return {
        check,
        problems,
        dir: lab.dir,
        facts: {
          restarts: restarts.join('; '),
          producerWaited,
          refreshes: stats.refreshes,
          simDuplicates: stats.duplicates,
        },
      };
    } finally {
      await lab.close({ keepDir: true });
    }
  },
};
