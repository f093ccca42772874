import { waitFor } from '../../test/support/wait-for.js';
import { baseApps } from '../chaos-apps.js';
import type { ChaosScenario } from '../chaos-scenario.js';
import { allRegistered, collectCheck } from '../collect-check.js';
import { startChaosLab } from '../start-chaos-lab.js';

/** Chunks of the second producer run (half the portals x 2 apps): Redis dies after the first of them. */
const PRODUCER_CHUNKS = 12;

/**
 * Redis (AOF on, `appendfsync always`: see start-chaos-lab.ts) is killed with SIGKILL and started again on the same
 * port and data dir, twice: once while a second producer run is enqueueing (right after it stored its first chunk
 * of pairs: chunks are kept small so it has many left), once mid-processing. Two worker
 * processes and the producer in this process keep their connections (ioredis reconnects; commands wait for it)
 * and carry on by themselves. Commands in flight at the kill are sent again after the reconnect (ioredis): some
 * run twice, which the result scripts must survive: the pair must still end registered, holding the definition.
 */
export const redisRestart: ChaosScenario = {
  name: 'redis-restart',
  fault: 'Redis killed + restarted x2 (AOF always)',
  async run({ seed, portals, log }) {
    const lab = await startChaosLab({
      name: 'redis-restart',
      sim: { portals, webhookShare: 0.1, expiredShare: 0.2, latencyMs: 40, seed },
      config: { producer: { chunkSize: Math.max(1, Math.floor(portals / PRODUCER_CHUNKS)) } },
    });
    const problems: string[] = [];
    try {
      await Promise.all([lab.spawnWorker(10), lab.spawnWorker(10)]);
      const apps = baseApps();
      const all = lab.portals();
      const firstHalf = all.slice(0, Math.floor(all.length / 2));
      const secondHalf = all.slice(firstHalf.length);
      const first = await lab.rollout(apps, firstHalf);

      // Restart 1: while the second producer run enqueues, right after its first chunk (its next commands are in
      // flight or wait for the reconnect).
      await waitFor(() => lab.sim.stats().registrations >= first.pairs.length * 0.3, {
        message: '30% of the first half',
        timeoutMs: 60_000,
        intervalMs: 5,
      });
      const restarts: string[] = [];
      const registeredNow = async () => (await lab.runtime.results.countsByState()).registered;
      // Registered pairs only grow: fewer after the restart than `before` (read ahead, so the kill is not held
      // up behind the producer's commands) means Redis lost writes it had acknowledged.
      const restart = async (before: number) => {
        const at = lab.sim.stats().registrations;
        const { downAt, upAt } = await lab.restartRedis();
        const downMs = Math.round(upAt - downAt);
        const after = await registeredNow();
        if (after < before)
          problems.push(
            `Redis lost acknowledged writes: ${before} pairs registered before the restart, ${after} after`,
          );
        restarts.push(`at ${at} registrations, down ${downMs} ms`);
        log(`  redis restarted at ${at} registrations (down ${downMs} ms)`);
        return downAt;
      };
      let firstRestart: Promise<number> | undefined;
      let pairsLeftAtKill = 0;
      const beforeFirst = await registeredNow();
      const second = await lab.rollout(apps, secondHalf, (done, all) => {
        if (firstRestart) return;
        pairsLeftAtKill = all - done;
        firstRestart = restart(beforeFirst);
        firstRestart.catch(() => undefined); // awaited below, once the producer is done
      });
      const producerEnd = performance.now();
      if (!firstRestart)
        throw new Error('the second producer run reported no progress: Redis was not restarted');
      const downAt = await firstRestart;
      // It had pairs left when Redis went down and still ended with every pair enqueued: its commands waited
      // for the reconnect or were sent again after it.
      const producerWaited = pairsLeftAtKill > 0 && producerEnd > downAt;
      if (!producerWaited)
        problems.push('the second producer run had nothing left to enqueue when Redis went down');

      // Restart 2: mid-processing.
      const total = first.pairs.length + second.pairs.length;
      await waitFor(() => lab.sim.stats().registrations >= total * 0.6, {
        message: '60% of the registrations',
        timeoutMs: 60_000,
        intervalMs: 5,
      });
      await restart(await registeredNow());

      const pairs = [...first.pairs, ...second.pairs];
      const settled = await lab.waitSettled(pairs, 90_000);
      const check = await collectCheck(
        lab,
        allRegistered(
          all.map((p) => p.domain),
          apps,
          lab.config.hashSecret,
        ),
      );
      if (settled.leftoverJobs > 0)
        problems.push(`${settled.leftoverJobs} jobs left in the queue: ${settled.leftoverSample.join(', ')}`);
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
          pairsLeftAtKill,
          refreshes: stats.refreshes,
          updates: stats.updates,
        },
      };
    } finally {
      await lab.close({ keepDir: true });
    }
  },
};
