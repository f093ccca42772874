import { afterEach, describe, expect, it } from 'vitest';
import { maxInWindow } from '../support/max-in-window.js';
import { waitFor } from '../support/wait-for.js';
import { type Harness, jsApp, startHarness } from './support/pipeline-harness.js';
import { killWorkers, spawnWorker, untilStarted, type WorkerProcess } from './support/spawn-worker.js';

let harness: Harness | undefined;
let processes: WorkerProcess[] = [];
afterEach(async () => {
  await killWorkers(processes);
  processes = [];
  await harness?.close();
  harness = undefined;
});

describe('worker processes sharing one Redis', () => {
  it('never exceeds the per-portal rate with 3 worker processes at once', async () => {
    const rate = 5;
    const burst = 5;
    harness = await startHarness(
      // The server's bucket has one slot of headroom over the client's limit: a request granted on time can still
      // arrive a little early after a slower one (network jitter); the client limit itself is checked below.
      { portals: [{ domain: 'limited.sim.test', bucket: { burst: burst + 1, drainPerSecond: rate } }] },
      { portalRate: { rate, burst } },
    );
    processes = [0, 1, 2].map(() => spawnWorker(harness?.config as never, 10));
    await Promise.all(processes.map((p) => untilStarted(p)));
    const apps = Array.from({ length: 40 }, (_, i) => jsApp(`cmd${i}`));
    const summary = await harness.rollout(apps);
    const counts = await harness.settle(summary.pairs, 30_000);
    expect(counts.registered).toBe(40);
    const portal = harness.sim.portal('limited.sim.test');
    expect(portal.queryLimitExceeded).toBe(0);
    expect(harness.sim.stats().duplicates).toBe(0);
    for (const windowMs of [200, 1_000, 3_000]) {
      expect(maxInWindow(portal.requestTimes, windowMs), `window ${windowMs} ms`).toBeLessThanOrEqual(
        burst + Math.ceil((rate * windowMs) / 1000) + 1,
      );
    }
    // Close to the limit, not far below it: 80 calls (a register and its update per pair), (80 - burst) / rate
    // = 15 s at best.
    const span = Math.max(...portal.requestTimes) - Math.min(...portal.requestTimes);
    expect(portal.requestTimes).toHaveLength(80);
    expect(span).toBeLessThan(18_000);
  }, 60_000);

  it('loses nothing when a worker process is killed with SIGKILL mid-run', async () => {
    harness = await startHarness({ portals: 30, latencyMs: 40, seed: 21 });
    const victim = spawnWorker(harness.config, 10);
    const survivor = spawnWorker(harness.config, 10);
    processes = [victim, survivor];
    await Promise.all(processes.map((p) => untilStarted(p)));
    const apps = [jsApp('echo'), jsApp('help'), jsApp('start')];
    const summary = await harness.rollout(apps);
    await waitFor(() => (harness?.sim.stats().registrations ?? 0) >= 20, {
      timeoutMs: 30_000,
      intervalMs: 10,
      message: '20 registrations before the kill',
    });
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    const counts = await harness.settle(summary.pairs, 40_000);
    expect(counts).toMatchObject({ total: 90, registered: 90, failed: 0, pending: 0 });
    // A register in flight when the process died was sent again by the survivor and got the same app back:
    // exactly one app per pair, the one the store names.
    const results = await harness.runtime.results.getMany(summary.pairs);
    for (const result of results) {
      const onPortal = harness.sim.portal(result?.portal ?? '').apps.filter((a) => a.code === result?.code);
      expect(onPortal.map((a) => a.appId)).toEqual([result?.appId]);
    }
    expect(harness.sim.stats().duplicates).toBe(0);
  }, 60_000);

  it('finishes the jobs in flight and exits on SIGTERM, leaving the rest queued', async () => {
    harness = await startHarness({ portals: 10, latencyMs: 300, seed: 22 });
    const worker = spawnWorker(harness.config, 5);
    processes = [worker];
    await untilStarted(worker);
    const summary = await harness.rollout([jsApp('echo'), jsApp('help')]);
    await waitFor(() => (harness?.sim.stats().calls ?? 0) >= 3, {
      timeoutMs: 20_000,
      intervalMs: 10,
      message: '3 calls in flight before the SIGTERM',
    });
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const results = await harness.runtime.results.getMany(summary.pairs);
    // Nothing was cut off mid-call: every pair is either settled or still pending with no error recorded.
    expect(results.filter((r) => r?.lastError)).toEqual([]);
    expect(harness.sim.stats().duplicates).toBe(0);

    harness.startWorker();
    const counts = await harness.settle(summary.pairs);
    expect(counts.registered).toBe(20);
    expect(harness.sim.stats().duplicates).toBe(0);
  }, 60_000);
});
