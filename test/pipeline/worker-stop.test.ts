import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, jsApp, startHarness } from './support/pipeline-harness.js';
import { spawnWorker, untilStarted, type WorkerProcess } from './support/spawn-worker.js';

/** The stop rule of `worker` (src/cli/stop-signals.ts): a signal during start-up is not lost; a second one forces. */
let harness: Harness | undefined;
let processes: WorkerProcess[] = [];
afterEach(async () => {
  for (const p of processes)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  processes = [];
  await harness?.close();
  harness = undefined;
});

async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('stopping a worker', () => {
  it('exits promptly when SIGTERM comes while it is still starting', async () => {
    harness = await startHarness({ portals: 1 });
    const worker = spawnWorker(harness.config, 2);
    processes = [worker];
    // As soon as the process says anything (or after a moment), well before it could have finished starting.
    await new Promise((r) => setTimeout(r, 700));
    worker.child.kill('SIGTERM');
    const exit = await within(worker.exited, 10_000);
    // Either the signal ended it before our handlers were installed, or the handlers stopped it cleanly.
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
  }, 20_000);

  it('waits for the calls in flight on the first SIGTERM, and stops at once on the second', async () => {
    harness = await startHarness(
      { portals: 1, latencyMs: 8_000 },
      { request: { timeoutMs: 20_000, refreshTimeoutMs: 2_000 } },
    );
    const worker = spawnWorker(harness.config, 2);
    processes = [worker];
    await untilStarted(worker);
    await harness.rollout([jsApp('echo')]);
    while (harness.sim.stats().calls < 1) await new Promise((r) => setTimeout(r, 20));
    worker.child.kill('SIGTERM');
    // Still finishing its 8-second call: not gone after a second.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(worker.child.exitCode).toBeNull();
    expect(worker.output()).toContain('stopping gracefully');
    worker.child.kill('SIGTERM');
    expect(await within(worker.exited, 3_000)).toEqual({ code: 143, signal: null });
    expect(worker.output()).toContain('forced to stop');
  }, 30_000);
});
