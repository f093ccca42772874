import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { type Harness, jsApp, startHarness } from './support/pipeline-harness.js';
import { spawnWorker, untilStarted, type WorkerProcess } from './support/spawn-worker.js';

/** The stop rule of `worker` (src/cli/stop-signals.ts): a signal during start-up is not lost; a second one forces. */
let harness: Harness | undefined;
let processes: WorkerProcess[] = [];
let gate: RedisGate | undefined;
afterEach(async () => {
  for (const p of processes)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  processes = [];
  await gate?.close();
  gate = undefined;
  await harness?.close();
  harness = undefined;
});

interface RedisGate {
  /** redis:// URL of the gate, same database as the target. */
  url: string;
  /** A connection came and is being held. */
  held(): boolean;
  /** Lets every connection (held or new) through to Redis. */
  open(): void;
  close(): Promise<void>;
}

/** A TCP pass-through to the test Redis that holds connections (reads nothing) until `open()`. */
async function startRedisGate(redisUrl: string): Promise<RedisGate> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];
  let isOpen = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.pause();
    const pipe = () => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(upstream);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', end).on('close', end);
      client.on('error', end).on('close', end);
      client.pipe(upstream).pipe(client);
      client.resume();
    };
    if (isOpen) pipe();
    else waiting.push(pipe);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gateUrl = new URL(redisUrl);
  gateUrl.hostname = '127.0.0.1';
  gateUrl.port = String((server.address() as AddressInfo).port);
  return {
    url: gateUrl.toString(),
    held: () => waiting.length > 0,
    open() {
      isOpen = true;
      for (const pipe of waiting.splice(0)) pipe();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

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
    // Its Redis goes through a gate that holds the first connection: the worker is caught mid start-up (in its
    // Redis check, after the stop handlers were installed) for as long as the test wants, however slow it is.
    gate = await startRedisGate(harness.config.redisUrl);
    const worker = spawnWorker({ ...harness.config, redisUrl: gate.url }, 2);
    processes = [worker];
    await waitFor(() => gate?.held() === true, {
      timeoutMs: 20_000,
      message: 'the worker to connect to Redis during start-up',
    });
    expect(worker.output()).not.toContain('worker: started');
    worker.child.kill('SIGTERM');
    await waitFor(() => expect(worker.output()).toContain('stopping gracefully'), {
      message: 'the worker to take the SIGTERM that came during its start-up',
    });
    gate.open();
    const exit = await within(worker.exited, 15_000);
    // The signal was not lost: the start-up finished and the worker stopped cleanly right after it.
    expect(exit).toEqual({ code: 0, signal: null });
    const output = worker.output();
    expect(output.indexOf('stopping gracefully')).toBeLessThan(output.indexOf('worker: started'));
  }, 40_000);

  it('exits promptly when SIGTERM comes the moment it was spawned', async () => {
    harness = await startHarness({ portals: 1 });
    const worker = spawnWorker(harness.config, 2);
    processes = [worker];
    worker.child.kill('SIGTERM'); // still loading its modules, before it could listen for signals
    const exit = await within(worker.exited, 15_000);
    // Before the stop handlers are installed Node's default applies (ended by the signal); after, the start-up
    // finishes and the worker stops cleanly: either way it does not keep running.
    expect([
      { code: 0, signal: null },
      { code: null, signal: 'SIGTERM' },
    ]).toContainEqual(exit);
  }, 40_000);

  it('stops at once on a second signal while its start-up still waits for Redis', async () => {
    harness = await startHarness({ portals: 1 });
    // The gate is never opened: without the second signal the worker would wait for its Redis check to time out.
    gate = await startRedisGate(harness.config.redisUrl);
    const worker = spawnWorker({ ...harness.config, redisUrl: gate.url }, 2);
    processes = [worker];
    await waitFor(() => gate?.held() === true, {
      timeoutMs: 20_000,
      message: 'the worker to connect to Redis during start-up',
    });
    worker.child.kill('SIGTERM');
    await waitFor(() => expect(worker.output()).toContain('stopping gracefully'), {
      message: 'the worker to take the SIGTERM that came during its start-up',
    });
    worker.child.kill('SIGINT');
    // 130: ended by the second signal (SIGINT), not by the start-up failing on the Redis it never reached.
    expect(await within(worker.exited, 3_000)).toEqual({ code: 130, signal: null });
    expect(worker.output()).toContain('forced to stop');
    expect(worker.output()).not.toContain('worker: started');
  }, 40_000);

  it('waits for the calls in flight on the first SIGTERM, and stops at once on the second', async () => {
    harness = await startHarness(
      { portals: 1, latencyMs: 8_000 },
      { request: { timeoutMs: 20_000, refreshTimeoutMs: 2_000 } },
    );
    const worker = spawnWorker(harness.config, 2);
    processes = [worker];
    await untilStarted(worker);
    await harness.rollout([jsApp('echo')]);
    await waitFor(() => harness?.sim.stats().calls === 1, {
      message: 'the first call to reach the simulator',
    });
    worker.child.kill('SIGTERM');
    await waitFor(() => expect(worker.output()).toContain('stopping gracefully'), {
      message: 'the worker to take the first SIGTERM',
    });
    // Still finishing its 8-second call (the exit code 143 below shows it was still running at the second signal).
    expect(worker.child.exitCode).toBeNull();
    worker.child.kill('SIGTERM');
    expect(await within(worker.exited, 3_000)).toEqual({ code: 143, signal: null });
    expect(worker.output()).toContain('forced to stop');
  }, 30_000);
});
