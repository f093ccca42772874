/**
 * One master of a 3-master Redis Cluster killed (SIGKILL) and started again on the same port and data dir in the
 * middle of a rollout: it reloads its AOF (fsynced on every write) and nodes.conf and serves its slots again. The
 * workers wait through it (connect-redis.ts, CLUSTER_RIDE_THROUGH) and the rollout ends exact: every pair
 * registered once, no pair lost, no second app on any portal. The restarted nodes are the one holding the result
 * store's slot (`{r}`), then the one holding the queue's (`{q}`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisClusterHandle, startRedisCluster } from '../../src/redis/start-redis-cluster.js';
import { createRedisKeys } from '../../src/store/redis-keys.js';
import { expectPortalsHold } from '../pipeline/support/expect-portals-hold.js';
import { type Harness, iframeApp, jsApp, startHarness } from '../pipeline/support/pipeline-harness.js';
import { waitFor } from '../support/wait-for.js';

let cluster: RedisClusterHandle | undefined;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  await cluster?.stop();
  cluster = undefined;
});

describe('Redis Cluster: masters restarted one at a time during a rollout', () => {
  it('loses nothing: every pair ends registered exactly once, no pair lost, no duplicate app', async () => {
    cluster = await startRedisCluster({ masters: 3, durable: true });
    harness = await startHarness(
      { portals: 30, latencyMs: 100, webhookShare: 0.2, expiredShare: 0.2, seed: 11 },
      {
        redisClusterNodes: [...cluster.seeds],
        worker: { concurrency: 4, stalledIntervalMs: 1_000, lockDurationMs: 2_000, maxStalledCount: 5 },
      },
    );
    const keys = createRedisKeys(harness.config.prefix);
    const resultsNode = await cluster.nodeServing(keys.stateCounts);
    const queueNode = await cluster.nodeServing(`${keys.queuePrefix}:rollout:wait`);
    const apps = [jsApp('echo'), jsApp('help', '/help me'), iframeApp('panel')];
    harness.startWorker(4);
    harness.startWorker(4);
    const summary = await harness.rollout(apps);
    expect(summary.counts.queued).toBe(90);

    const registeredAtLeast = (n: number) =>
      waitFor(
        async () => {
          const registered = (await harness?.runtime.results.countsByState())?.registered ?? 0;
          if (registered < n) throw new Error(`${registered} registered so far`);
          return registered;
        },
        { timeoutMs: 30_000, intervalMs: 20, message: `${n} pairs registered` },
      );
    // Mid-rollout: some pairs registered, most not; then a while later the queue's node.
    expect(await registeredAtLeast(5)).toBeLessThan(90);
    await cluster.restartNode(resultsNode);
    const between = (await harness.runtime.results.countsByState()).registered;
    if (queueNode !== resultsNode) {
      expect(await registeredAtLeast(between + 5)).toBeLessThan(90);
      await cluster.restartNode(queueNode);
    }
    // Both restarts fell in the rollout: pairs were still pending once the nodes were back.
    expect((await harness.runtime.results.countsByState()).pending).toBeGreaterThan(0);

    const counts = await harness.settle(summary.pairs, 60_000);
    expect(counts).toMatchObject({ total: 90, registered: 90, failed: 0, pending: 0 });
    expect(harness.sim.stats().duplicates).toBe(0);
    await expectPortalsHold(harness, apps);
  });
});
